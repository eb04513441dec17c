// Tongzhan's only script of its own. No inline script anywhere: the CSP forbids it.
document.addEventListener("DOMContentLoaded", function () {
  // Confirm buttons marked data-confirm before their form submits.
  document.body.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // An ID or phone number typed into the search box goes by POST, never into the URL or the
  // browser history (SECURITY.md D6). Names and pinyin stay GET, so those searches can be bookmarked.
  var NUMBER_LIKE = /^[\s0-9０-９xXｘＸ+＋\-－()（）]{7,}$/;
  document.body.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("#search-form") : null;
    var q = event.detail.parameters && event.detail.parameters.q;
    if (form && typeof q === "string" && NUMBER_LIKE.test(q.trim())) {
      event.detail.verb = "post";
      event.detail.useUrlParams = false;  // the number travels in the body
      event.detail.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
  });
});
