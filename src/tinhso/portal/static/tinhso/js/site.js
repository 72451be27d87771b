/* tinhso: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Move focus to an error summary so screen readers announce it and keyboard users start there.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });

  // Client-side file checks (type and size) before any byte is sent; the server checks again by
  // content. Messages come from data attributes so they are translated by the server.
  function checkFile(input) {
    var file = input.files && input.files[0];
    input.setCustomValidity("");
    if (!file) { return; }
    var max = parseInt(input.dataset.maxBytes || "0", 10);
    var types = (input.dataset.types || "").split(",").filter(Boolean);
    if (max && file.size > max) {
      input.setCustomValidity(input.dataset.msgSize || "File too large");
    } else if (types.length && types.indexOf(file.type) === -1) {
      input.setCustomValidity(input.dataset.msgType || "File type not allowed");
    }
    input.reportValidity();
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[type=file][data-max-bytes]")) { checkFile(el); }
  });

  // Upload progress: htmx raises htmx:xhr:progress on the element that sent the request.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (!form || !event.detail.lengthComputable) { return; }
    var bar = form.querySelector("progress");
    var label = form.querySelector("[data-progress-label]");
    var pct = Math.round((event.detail.loaded / event.detail.total) * 100);
    if (bar) { bar.hidden = false; bar.value = pct; }
    if (label) { label.textContent = pct + "%"; }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (form) { form.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.target); });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (!form) { return; }
    form.removeAttribute("aria-busy");
    var out = form.querySelector("[data-progress-label]");
    if (out) { out.textContent = form.dataset.msgFailed || "Upload failed"; }
  });

  // Plain (non-htmx) forms that ask for confirmation.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.dataset ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  // Print buttons on receipts.
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-print]") : null;
    if (el) { event.preventDefault(); window.print(); }
  });
})();
