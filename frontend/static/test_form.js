// Switches the test form to the chosen kind's fields without a reload. The page works
// without this script: every kind's section is server-rendered, the others hidden and
// disabled (so they post nothing), and a button asks the server for the chosen kind.
(function () {
  "use strict";

  var select = document.querySelector("[data-kind-switch]");
  if (!select) {
    return;
  }
  var url = document.getElementById("url");

  function show(kind) {
    var sections = document.querySelectorAll(".kind-fields[data-kind]");
    for (var i = 0; i < sections.length; i += 1) {
      var mine = sections[i].getAttribute("data-kind") === kind;
      sections[i].hidden = !mine;
      sections[i].disabled = !mine;
    }
    var checks = document.querySelector('[data-kind-only="checks"]');
    if (checks) {
      checks.hidden = kind === "heartbeat";
    }
    var option = select.options[select.selectedIndex];
    if (url && option) {
      url.placeholder = option.getAttribute("data-placeholder") || "";
    }
  }

  var buttons = document.querySelectorAll("[data-no-script]");
  for (var i = 0; i < buttons.length; i += 1) {
    buttons[i].hidden = true;
    buttons[i].disabled = true; // nor the default button Enter presses
  }
  select.addEventListener("change", function () {
    show(select.value);
  });
}());
