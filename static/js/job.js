// Live progress for the job page: polls the status endpoint until the job ends.
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root || root.dataset.final === "1") return;
  var url = root.dataset.statusUrl;
  var bar = document.getElementById("job-progress");
  var statusEl = document.getElementById("job-status");
  var stageEl = document.getElementById("job-stage");
  var stepEl = document.getElementById("job-step");
  var failureEl = document.getElementById("job-failure");
  var resultEl = document.getElementById("job-result");
  var imageEl = document.getElementById("job-image");

  function render(s) {
    bar.value = s.percent;
    bar.textContent = s.percent + "%";
    statusEl.textContent = s.status_label;
    statusEl.className = "status " + s.status;
    stageEl.textContent = s.stage_label;
    stepEl.textContent = "Step " + s.step + " of " + s.steps;
    if (s.failure_reason) {
      failureEl.textContent = s.failure_reason;
      failureEl.hidden = false;
    }
    if (s.image_url) {
      imageEl.src = s.image_url;
      resultEl.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        render(s);
        if (s.final) {
          // The review, lineage and delivery sections are rendered by the server:
          // show them once the job has finished while this page was open.
          if (root.dataset.final === "0" && s.status === "succeeded") window.location.reload();
          return;
        }
        setTimeout(poll, 250);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
