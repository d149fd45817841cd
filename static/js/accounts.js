// The login icons under "Leave a Reply", progressively enhanced. Without this script they still work:
// the icon posts the comment form (the draft goes along) and the site asks once to continue, because
// the cached page carries no CSRF token.
// - Say "Connecting to Google…" while the browser leaves for the provider, and ignore a second press.
// - Wait for the CSRF token comments.js fetches when the form gets focus, so the site need not ask.
(function () {
  "use strict";
  var form = document.getElementById("commentform");
  var box = document.getElementById("social-login");
  var status = document.getElementById("social-login-status");
  if (!form || !box || !status) return;

  var TOKEN_WAIT_MS = 4000;
  var leaving = false;

  function hasToken() {
    var token = form.elements.csrfmiddlewaretoken;
    return Boolean(token && token.value);
  }

  function whenToken(then) {
    var waited = 0;
    (function check() {
      if (hasToken() || waited >= TOKEN_WAIT_MS) return then();
      waited += 100;
      window.setTimeout(check, 100);
    })();
  }

  box.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-provider-name]");
    if (!button) return;
    if (leaving) { event.preventDefault(); return; }
    leaving = true;
    box.classList.add("is-connecting");
    status.textContent = "Connecting to " + button.dataset.providerName + "\u2026";
    if (hasToken()) return;  // The click goes on and sends the form.
    event.preventDefault();
    button.focus();  // comments.js fetches the token when the form gets focus.
    whenToken(function () { form.requestSubmit(button); });
  });

  // Back from the provider with the browser's Back button: the page may come from the cache as it was left.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    leaving = false;
    box.classList.remove("is-connecting");
    status.textContent = "";
  });
})();
