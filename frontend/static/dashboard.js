// Keeps the dashboard's monitor table fresh without reloading the page.
// The page works without this script; it only swaps in the server-rendered table, and only
// when it changed: the table's ETag goes back in If-None-Match, and a 304 costs nothing.
(function () {
  "use strict";

  var box = document.getElementById("monitors");
  var status = document.getElementById("refresh-status");
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (event) {
      var action = bulk.querySelector("select[name=action]");
      if (action && action.value === "delete" &&
          !window.confirm(bulk.getAttribute("data-confirm-delete"))) {
        event.preventDefault();
      }
    });
  }
  if (!box || !status || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-refresh-url");
  var every = parseInt(box.getAttribute("data-refresh-ms"), 10) || 5000;
  var etag = box.getAttribute("data-etag") || "";
  var refreshes = 0;
  var unchanged = 0;

  function later() {
    window.setTimeout(refresh, every);
  }

  function ticked() {
    var ids = {};
    box.querySelectorAll("input[name=ids]:checked").forEach(function (input) {
      ids[input.value] = true;
    });
    return ids;
  }

  function show(html) {
    // A refresh must not undo the user's selection for a bulk action.
    var keep = ticked();
    box.innerHTML = html;
    box.querySelectorAll("input[name=ids]").forEach(function (input) {
      input.checked = !!keep[input.value];
    });
    status.textContent = "";
    refreshes += 1;
    // Hooks for tests and curious operators: how many refreshes have landed, and how many
    // found nothing new.
    box.setAttribute("data-refreshes", String(refreshes));
    later();
  }

  function same() {
    status.textContent = "";
    unchanged += 1;
    box.setAttribute("data-unchanged", String(unchanged));
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
    var headers = { Accept: "text/html" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 401) {
          // The session ended: a full load takes the user to the log-in form.
          window.location.reload();
          return;
        }
        if (response.status === 304) {
          same();
          return;
        }
        if (!response.ok) {
          throw new Error("refresh answered " + response.status);
        }
        etag = response.headers.get("ETag") || "";
        return response.text().then(show);
      })
      .catch(failed);
  }

  later();
})();
