// A mock interview while it runs. The server holds the end time and the time on each question
// and renders both, so a reload (or the question region swapped in by htmx) resumes the clocks;
// at zero the answers are submitted and the debrief opens. The page works without this file.
(function () {
  "use strict";
  var submitted = false;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    var clock = document.querySelector("[data-countdown]");
    var left = null;
    if (clock) {
      // Read once per rendered element: a swapped-in bar brings the server's fresh count.
      if (!clock.deadline) clock.deadline = now + parseInt(clock.dataset.secondsLeft, 10) * 1000;
      left = Math.max(0, Math.round((clock.deadline - now) / 1000));
      clock.querySelector("[data-countdown-text]").textContent = format(left);
      clock.classList.toggle("countdown-low", left <= 300);
    }
    var question = document.querySelector("[data-question-clock]");
    if (question) {
      if (!question.shownAt) {
        question.shownAt = now - parseInt(question.dataset.seconds, 10) * 1000;
        question.endsAt = now + parseInt(question.dataset.secondsLeft, 10) * 1000;
      }
      var spent = Math.round((Math.min(now, question.endsAt) - question.shownAt) / 1000);
      question.querySelector("[data-question-clock-text]").textContent = format(Math.max(0, spent));
    }
    var form = document.querySelector("[data-mock-form]");
    if (left === 0 && form && !submitted) {
      submitted = true;
      // No submitter: the form's own action, Finish, with every answer on the page.
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
      return;
    }
    window.setTimeout(tick, 1000 - (Date.now() % 1000));
  }

  // Finishing early cannot be undone: ask once. (At zero the form is submitted without asking.)
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-mock-finish]");
    if (button && !window.confirm("Finish the interview now? Your answers are then final.")) {
      event.preventDefault();
    }
  });

  // The server's refusals (time is up, too long, too many runs) are messages for the user:
  // show them where the answer would have gone instead of dropping them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr.status;
    if (status >= 400 && status < 600 && detail.target && detail.target.closest("#mock-run")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // On a phone the strip scrolls sideways: bring the question on screen into view.
  function centreStrip(root) {
    var strip = root.querySelector(".mock-strip");
    var current = strip && strip.querySelector("[aria-current]");
    if (!current || strip.scrollWidth <= strip.clientWidth) return;
    var offset = current.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollLeft += offset - (strip.clientWidth - current.offsetWidth) / 2;
  }

  // After moving to another question, or asking for the follow-ups, put the focus on what is new.
  document.addEventListener("htmx:load", function (event) {
    var element = event.detail && event.detail.elt;
    if (!element || !element.querySelector) return;
    if (element.id === "mock-run") centreStrip(element);
    var heading = element.id === "mock-run" ? element.querySelector("#mock-question-title")
      : element.classList.contains("follow-ups") ? element.querySelector(".follow-ups-heading") : null;
    if (heading) heading.focus({ preventScroll: element.id === "mock-run" });
  });

  if (document.querySelector("[data-countdown]")) tick();
  centreStrip(document);
})();
