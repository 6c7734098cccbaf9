"use strict";
// A running job's page: asks how far the job is every half second, shows it in the
// progress bar, and reloads the page (its report and files) once the job has ended.
(() => {
  const state = document.getElementById("job-state");
  const bar = document.getElementById("job-progress");
  const label = document.getElementById("job-progress-label");
  if (!state || !bar || !label) return;
  for (const link of document.querySelectorAll(".no-script")) link.hidden = true;
  const ask = async () => {
    try {
      const response = await fetch(state.dataset.status, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const job = await response.json();
      bar.max = job.total || 1;
      bar.value = job.done;
      label.textContent = label.dataset.template
        .replace("{done}", job.done).replace("{total}", job.total);
      if (job.state !== "running") {
        window.location.reload();
        return;
      }
    } catch (_) { /* asked again below */ }
    setTimeout(ask, 500);
  };
  setTimeout(ask, 500);
})();
