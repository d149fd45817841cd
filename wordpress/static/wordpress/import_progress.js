// The import's page follows its run: ask how far it is every second, update the bar, and
// reload once it has ended, so that the summary (or the error) rendered by the server shows.
(function () {
  "use strict";
  var page = document.querySelector(".import-run");
  if (!page || ["queued", "waiting", "running"].indexOf(page.dataset.state) === -1) {
    return;
  }
  var bar = page.querySelector("progress");
  var label = page.querySelector(".import-state-label");
  var count = page.querySelector(".import-count");

  function poll() {
    fetch(page.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        if (run.state === "done" || run.state === "failed") {
          window.location.reload();
          return;
        }
        label.textContent = run.label + (run.stage ? ": " + run.stage : "");
        bar.value = run.percent;
        bar.textContent = run.percent + "%";
        count.textContent = run.done + " of " + (run.total || "?");
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
