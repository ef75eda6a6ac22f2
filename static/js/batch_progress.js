// Import job and bulk action pages: poll the progress and move the bar; reload the page when the
// worker is done. The JSON names the state, the percentage, and rows (import) or processed of total (bulk).
(() => {
  const box = document.querySelector("[data-import-progress], [data-bulk-progress]");
  if (!box) return;
  const url = box.dataset.importProgress || box.dataset.bulkProgress;
  const bar = box.querySelector(".progress-bar");
  const track = box.querySelector(".progress");
  const label = box.querySelector("[data-progress-label]");
  const rows = box.querySelector("[data-progress-rows]");

  const show = (data) => {
    const percent = Math.max(0, Math.min(100, Number(data.percent) || 0));
    bar.style.width = `${percent}%`;
    bar.textContent = `${percent}%`;
    track.setAttribute("aria-valuenow", String(percent));
    label.textContent = data.state_label;
    if (data.total !== undefined) {
      rows.textContent = `${Number(data.processed).toLocaleString()} of ${Number(data.total).toLocaleString()}`;
    } else {
      rows.textContent = data.rows ? `${Number(data.rows).toLocaleString()} rows ${data.phase === "writing" ? "written" : "checked"}` : "";
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (!data.busy) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped connection: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
})();
