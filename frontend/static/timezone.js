// Tells the frontend the browser's time zone, so times are shown in it until the user
// chooses one in a form. A cookie, as the server needs it on the very next request.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || document.cookie.indexOf("vigil_tz=" + encodeURIComponent(zone)) !== -1) {
    return;
  }
  document.cookie = "vigil_tz=" + encodeURIComponent(zone) +
    "; path=/; max-age=31536000; SameSite=Lax";
})();
