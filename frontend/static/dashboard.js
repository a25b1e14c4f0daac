// Keeps the dashboard's monitor table fresh without reloading the page.
// The page works without this script; it only swaps in the server-rendered table.
(function () {
  "use strict";

  var box = document.getElementById("monitors");
  var status = document.getElementById("refresh-status");
  if (!box || !status || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-refresh-url");
  var every = parseInt(box.getAttribute("data-refresh-ms"), 10) || 5000;
  var refreshes = 0;

  function later() {
    window.setTimeout(refresh, every);
  }

  function show(html) {
    box.innerHTML = html;
    status.textContent = "";
    refreshes += 1;
    // A hook for tests and curious operators: how many refreshes have landed.
    box.setAttribute("data-refreshes", String(refreshes));
    later();
  }

  function failed() {
    status.textContent = status.getAttribute("data-failed-text");
    later();
  }

  function refresh() {
    // A tab nobody looks at need not load the API; it catches up when shown again.
    if (document.hidden) {
      later();
      return;
    }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          // The session ended: a full load takes the user to the log-in form.
          window.location.reload();
          return;
        }
        if (!response.ok) {
          throw new Error("refresh answered " + response.status);
        }
        return response.text().then(show);
      })
      .catch(failed);
  }

  later();
})();
