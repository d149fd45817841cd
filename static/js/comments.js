// The "Leave a Reply" form, progressively enhanced. Without this script every step still works.
// - When the reader starts writing, fetch the per-visitor parts the cached page leaves out:
//   CSRF token, signed timestamp and (for guests) a captcha.
// - Reply links move the form under the comment being answered; "Cancel reply" puts it back.
// - "New picture" asks django-simple-captcha for a fresh captcha.
// - A #comment-N that is on another page of a long thread is found (/comments/N/) and shown.
(function () {
  "use strict";
  // A link to #comment-N whose comment is on another page of a long thread: ask the site where it is.
  var anchor = /^#comment-(\d+)$/.exec(window.location.hash);
  var section = document.getElementById("comments");
  if (anchor && section && !document.getElementById(anchor[0].slice(1))) {
    window.location.replace("/comments/" + anchor[1] + "/?on=" + section.dataset.post);
    return;
  }
  var form = document.getElementById("commentform");
  var respond = document.getElementById("respond");
  if (!form || !respond) return;

  var stateRequested = false;
  function loadState() {
    if (stateRequested || form.elements.timestamp.value) return;
    stateRequested = true;
    fetch(form.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (state) {
        var token = form.elements.csrfmiddlewaretoken;
        if (!token) {
          token = document.createElement("input");
          token.type = "hidden";
          token.name = "csrfmiddlewaretoken";
          form.prepend(token);
        }
        token.value = state.csrf_token;
        form.elements.timestamp.value = state.timestamp;
        var captcha = document.getElementById("comment-captcha");
        if (captcha && state.captcha_html) {
          captcha.innerHTML = state.captcha_html;
          enableRefresh(captcha);
        }
      })
      .catch(function () { stateRequested = false; });
  }
  form.addEventListener("focusin", loadState);
  form.addEventListener("input", loadState);
  enableRefresh(document.getElementById("comment-captcha"));
  // On the "almost done" page the reader's one job left is the captcha: put them there.
  if (document.querySelector("[data-confirming]")) {
    var answer = document.querySelector("#comment-captcha input[type=text]");
    if (answer) answer.focus();
  }

  function enableRefresh(container) {
    if (!container) return;
    var button = container.querySelector(".captcha-refresh");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      fetch(button.dataset.refreshUrl, { headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
        .then(function (answer) {
          var fresh = answer[1];
          if (!answer[0]) {  // over the limit: keep the picture, and say why there is no new one
            var why = container.querySelector(".captcha-refresh-error");
            if (!why) {
              why = document.createElement("p");
              why.className = "captcha-refresh-error";
              why.setAttribute("role", "status");
              button.insertAdjacentElement("afterend", why);
            }
            why.textContent = fresh.error || "No new picture could be had. Please try again in a minute.";
            return;
          }
          container.querySelector("img.captcha-image").src = fresh.image_url;
          container.querySelector("input[type=hidden][name$='_0']").value = fresh.key;
          var audio = container.querySelector(".captcha-audio");
          if (audio && fresh.audio_url) audio.href = fresh.audio_url;
          var answer = container.querySelector("input[type=text]");
          answer.value = "";
          answer.focus();
        });
    });
  }

  // Threaded replies.
  var home = document.createElement("div");
  home.id = "respond-home";
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);
  var parentInput = document.getElementById("comment_parent");
  var title = document.getElementById("reply-title-text");
  var cancel = document.getElementById("cancel-comment-reply-link");

  function replyTo(link) {
    var item = document.getElementById("comment-" + link.dataset.commentId);
    item.querySelector(".comment-body").after(respond);
    parentInput.value = link.dataset.commentId;
    title.textContent = "Leave a Reply to " + link.dataset.author;
    cancel.hidden = false;
    form.elements.comment.focus();
  }
  function cancelReply(event) {
    if (event) event.preventDefault();
    home.after(respond);
    parentInput.value = "";
    title.textContent = "Leave a Reply";
    cancel.hidden = true;
    form.elements.comment.focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".comment-reply-link");
    if (link) { event.preventDefault(); replyTo(link); }
  });
  cancel.addEventListener("click", cancelReply);
})();
