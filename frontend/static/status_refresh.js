// Keeps a public status page fresh without reloading it, and lets the visitor pause that
// (WCAG 2.2.1/2.2.2: content that updates on its own can be paused). Without a script the
// page simply stays as loaded: no forced reload, which would move focus and the reader.
(function () {
  "use strict";

  var main = document.getElementById("main");
  var toggle = document.getElementById("refresh-toggle");
  if (!main || !toggle || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = (parseInt(toggle.getAttribute("data-refresh-s"), 10) || 60) * 1000;
  var paused = window.sessionStorage && sessionStorage.getItem("vigil-refresh") === "paused";
  var timer = null;
  var refreshes = 0;

  function label() {
    toggle.textContent = toggle.getAttribute(paused ? "data-resume-text" : "data-pause-text");
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  function later() {
    window.clearTimeout(timer);
    timer = paused ? null : window.setTimeout(refresh, every);
  }

  function refresh() {
    fetch(window.location.href, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
      if (fresh && !paused) {
        main.innerHTML = fresh.innerHTML;
        refreshes += 1;
        main.setAttribute("data-refreshes", String(refreshes));  // a hook for tests
      }
    }).catch(function () {
      // The page keeps what it shows; the next round tries again.
    }).then(later);
  }

  toggle.addEventListener("click", function () {
    paused = !paused;
    if (window.sessionStorage) {
      sessionStorage.setItem("vigil-refresh", paused ? "paused" : "running");
    }
    label();
    later();
  });
  toggle.hidden = false;
  label();
  later();
})();
