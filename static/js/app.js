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

// The main menu on a phone (base.html): a disclosure button. The stylesheet folds the menu only
// when scripting is on, so without this file the links stay in view.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-nav-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) return;

  function isOpen() { return toggle.getAttribute("aria-expanded") === "true"; }
  function setOpen(open) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }

  toggle.addEventListener("click", function () { setOpen(!isOpen()); });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen()) return;
    var inside = menu.contains(document.activeElement) || document.activeElement === toggle;
    setOpen(false);
    if (inside) toggle.focus();
  });
  document.addEventListener("click", function (event) {
    if (isOpen() && !menu.contains(event.target) && !toggle.contains(event.target)) setOpen(false);
  });
})();

// The bank's filters drawer on a phone (questions/bank_list.html): the button says how many
// filters are set; the drawer closes with "Show results", Esc, a tap outside or a submit.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-filters-toggle]");
  var drawer = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!drawer) return;

  function isDrawer() { return toggle.offsetParent !== null; } // the button shows on a phone only
  function isOpen() { return toggle.getAttribute("aria-expanded") === "true"; }
  function setOpen(open, focusToggle) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = drawer.querySelector("select, input");
      if (first) first.focus();
    } else if (focusToggle) {
      toggle.focus();
    }
  }
  function recount() {
    var active = 0;
    drawer.querySelectorAll("select[name], input[name]").forEach(function (field) {
      if (field.value.trim()) active += 1;
    });
    toggle.textContent = active ? "Filters (" + active + " active)" : "Filters";
  }

  recount();
  toggle.form.addEventListener("input", recount);
  toggle.form.addEventListener("change", recount);
  toggle.form.addEventListener("submit", function () { if (isOpen()) setOpen(false, true); });
  toggle.addEventListener("click", function () { setOpen(!isOpen()); });
  drawer.querySelector("[data-filters-close]").addEventListener("click", function () { setOpen(false, true); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen() && isDrawer()) setOpen(false, true);
  });
  // A tap outside the open drawer only closes it (the dimmed page behind is not live).
  document.addEventListener("click", function (event) {
    if (!isOpen() || !isDrawer() || drawer.contains(event.target) || toggle.contains(event.target)) return;
    event.preventDefault();
    event.stopPropagation();
    setOpen(false, true);
  }, true);
  drawer.addEventListener("focusout", function (event) {
    var next = event.relatedTarget;
    if (isOpen() && isDrawer() && next && !drawer.contains(next) && next !== toggle) setOpen(false);
  });
})();
