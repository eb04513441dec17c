// The public form's "看不清，换一张" button: a new captcha without reloading the page (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("captcha-refresh");
    if (!button) { return; }
    button.addEventListener("click", function () {
      fetch(button.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var row = button.closest(".captcha-row");
          row.querySelector("img.captcha-image").src = data.image;
          row.querySelector("input[type=hidden]").value = data.key;
          var answer = row.querySelector("input[type=text]");
          answer.value = "";
          answer.focus();
        });
    });
  });
})();
