// Tongzhan's only script of its own. No inline script anywhere: the CSP forbids it.
document.addEventListener("DOMContentLoaded", function () {
  // Confirm buttons marked data-confirm before their form submits.
  document.body.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
});
