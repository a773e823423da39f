// The mock-interview countdown. The server holds the end time and renders the seconds left,
// so a reload resumes the clock; at zero the answers are submitted and the debrief opens.
(function () {
  "use strict";
  var clock = document.querySelector("[data-countdown]");
  var form = document.querySelector("[data-mock-form]");
  if (!clock || !form) return;
  var text = clock.querySelector("[data-countdown-text]");
  var deadline = Date.now() + parseInt(clock.dataset.secondsLeft, 10) * 1000;
  var submitted = false;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    text.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    clock.classList.toggle("countdown-low", left <= 300);
    if (left === 0 && !submitted) {
      submitted = true;
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    window.setTimeout(tick, 1000 - (Date.now() % 1000));
  }
  tick();
})();
