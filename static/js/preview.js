// The live preview of the question form. When the server asks it to slow down (429: too many
// previews in a few seconds), show the server's message in the preview area instead of
// dropping it, and ask once more when the wait is over (the form's "preview-retry" trigger).
(function () {
  "use strict";
  var retry = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status !== 429 || !detail.target || detail.target.id !== "preview") {
      return;
    }
    detail.shouldSwap = true;
    detail.isError = false;
    var form = detail.requestConfig && detail.requestConfig.elt;
    var seconds = parseInt(detail.xhr.getResponseHeader("Retry-After"), 10) || 5;
    window.clearTimeout(retry);
    retry = window.setTimeout(function () {
      if (form && window.htmx) {
        window.htmx.trigger(form, "preview-retry");
      }
    }, Math.min(seconds, 60) * 1000);
  });
})();
