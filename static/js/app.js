// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Tell the server the browser's time zone (a `tz` cookie), so dates and times show in it
  // when the user has not chosen one in Settings. The server ignores names it does not know.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
    if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) && (!current || current[1] !== zone)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" +
        (location.protocol === "https:" ? "; secure" : "");
    }
  } catch (e) { /* no Intl: times stay in UTC */ }
})();
