// Live progress of ingestion jobs: every element with data-job-progress (the job's API URL) polls it and updates
// its bar and text; when the job has finished, the page reloads once to show the outcome. Our own code, no library.
(function () {
  "use strict";
  var STAGES = {queued: "Queued", parsing: "Parsing", loading: "Loading", column_lineage: "Column lineage",
                pii: "PII", conformance: "Conformance", done: "Done"};
  var INTERVAL_MS = 1000;

  function follow(box) {
    var url = box.getAttribute("data-job-progress");
    var bar = box.querySelector("progress");
    var field = function (name) { return box.querySelector('[data-field="' + name + '"]'); };
    function poll() {
      fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) { window.setTimeout(poll, INTERVAL_MS * 5); return; }
          var percent = Math.round((job.progress || 0) * 100);
          bar.value = percent;
          bar.textContent = percent + "%";
          field("percent").textContent = percent + "%";
          field("stage").textContent = STAGES[job.stage] || job.stage;
          field("message").textContent = job.progress_message ? " · " + job.progress_message : "";
          box.setAttribute("data-status", job.status);
          if (job.status === "completed" || job.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, INTERVAL_MS);
          }
        })
        .catch(function () { window.setTimeout(poll, INTERVAL_MS * 5); });
    }
    window.setTimeout(poll, INTERVAL_MS);
  }
  document.querySelectorAll("[data-job-progress]").forEach(follow);
})();
