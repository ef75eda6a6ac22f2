// Import job and bulk action pages: poll the progress and move the bar; reload the page when the
// worker is done. The JSON names the state, the percentage, and rows (import) or processed of total (bulk).
// The words come from the page, in its language: data-text-of, data-text-written, data-text-checked,
// with {placeholders}; numbers are written the page language's way.
(() => {
  const box = document.querySelector("[data-import-progress], [data-bulk-progress]");
  if (!box) return;
  const url = box.dataset.importProgress || box.dataset.bulkProgress;
  const bar = box.querySelector(".progress-bar");
  const track = box.querySelector(".progress");
  const label = box.querySelector("[data-progress-label]");
  const rows = box.querySelector("[data-progress-rows]");
  const number = (value) => Number(value).toLocaleString(document.documentElement.lang || undefined);
  const words = (name, values) => box.dataset[name].replace(/\{(\w+)\}/g, (_, key) => values[key]);

  const show = (data) => {
    const percent = Math.max(0, Math.min(100, Number(data.percent) || 0));
    bar.style.width = `${percent}%`;
    bar.textContent = `${percent}%`;
    track.setAttribute("aria-valuenow", String(percent));
    label.textContent = data.state_label;
    if (data.total !== undefined) {
      rows.textContent = words("textOf", { processed: number(data.processed), total: number(data.total) });
    } else {
      const phase = data.phase === "writing" ? "textWritten" : "textChecked";
      rows.textContent = data.rows ? words(phase, { rows: number(data.rows) }) : "";
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
