// Wide list tables (includes/_list_tools.html): the operator chooses the columns that show and a
// compact density, and the browser remembers both (localStorage, per operator: the columns of each
// list, one density for every list). A table wider than its box (a phone) says that it scrolls sideways.
// Loaded right after its table; the table stays out of sight until set up (console.css, data-list-ready),
// so the remembered choice applies before the table first shows.
// Every cell names its column in data-col; the heading carries data-col-default (shown by default),
// data-col-phone (shown by default on a phone) and, for icon headings, data-col-label. Columns
// without data-col (the username) always show.
(() => {
  const PHONE = window.matchMedia("(max-width: 575.98px)");

  const remembered = (key) => {
    try { return JSON.parse(window.localStorage.getItem(key)); } catch { return null; }
  };
  const remember = (key, value) => {
    try {
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, JSON.stringify(value));
    } catch { /* storage refused (private window): the choice lasts until the page is left */ }
  };

  const headingsOf = (table) => Array.from(table.tHead.rows[0].cells).filter((cell) => cell.dataset.col);
  const defaultColumns = (table) => headingsOf(table)
    .filter((heading) => (PHONE.matches ? "colPhone" : "colDefault") in heading.dataset)
    .map((heading) => heading.dataset.col);

  const showColumns = (table, visible) => {
    for (const cell of table.querySelectorAll("[data-col]")) cell.hidden = !visible.includes(cell.dataset.col);
  };

  const updateScrollHint = (table, hint) => {
    const box = table.closest(".table-responsive");
    if (hint && box) hint.hidden = box.scrollWidth <= box.clientWidth + 1;
  };

  const setUp = (tools) => {
    const table = document.querySelector(`[data-list-table="${tools.dataset.listTools}"]`);
    if (!table || table.dataset.listReady) return;
    table.dataset.listReady = "true";
    const storageKey = `sipconsole.columns.${tools.dataset.listTools}.${tools.dataset.listOwner}`;
    const densityKey = `sipconsole.density.${tools.dataset.listOwner}`;
    const hint = tools.nextElementSibling?.matches("[data-scroll-hint]") ? tools.nextElementSibling : null;
    const choices = tools.querySelector("[data-column-choices]");
    const known = headingsOf(table).map((heading) => heading.dataset.col);
    // The operator's choice is remembered as the columns turned on or off; the others keep their
    // default (the search results' Group column, when the choice was made on a group's list).
    const changes = () => remembered(storageKey) || {};
    const chosen = () => {
      const defaults = defaultColumns(table);
      const saved = changes();
      return known.filter((key) => (key in saved ? saved[key] : defaults.includes(key)));
    };

    const apply = () => {
      const visible = chosen();
      showColumns(table, visible);
      for (const box of choices.querySelectorAll("input")) box.checked = visible.includes(box.value);
      updateScrollHint(table, hint);
    };

    for (const heading of headingsOf(table)) {
      const id = `column-${tools.dataset.listTools}-${heading.dataset.col}`;
      const item = document.createElement("div");
      item.className = "form-check text-nowrap";
      const box = Object.assign(document.createElement("input"), { type: "checkbox", className: "form-check-input", id, value: heading.dataset.col });
      const label = Object.assign(document.createElement("label"), { className: "form-check-label", htmlFor: id });
      label.textContent = heading.dataset.colLabel || heading.textContent.trim();
      item.append(box, label);
      choices.append(item);
    }
    choices.addEventListener("change", (event) => {
      remember(storageKey, { ...changes(), [event.target.value]: event.target.checked });
      apply();
    });
    tools.querySelector("[data-columns-reset]").addEventListener("click", () => { remember(storageKey, null); apply(); });

    const densityButton = tools.querySelector("[data-density-toggle]");
    const applyDensity = () => {
      const compact = remembered(densityKey) === "compact";
      table.classList.toggle("table-compact", compact);
      densityButton.setAttribute("aria-pressed", String(compact));
      densityButton.classList.toggle("active", compact);
      updateScrollHint(table, hint);
    };
    densityButton.addEventListener("click", () => {
      remember(densityKey, table.classList.contains("table-compact") ? null : "compact");
      applyDensity();
    });

    for (const element of tools.querySelectorAll("[data-js-only]")) element.hidden = false;
    apply();
    applyDensity();
    PHONE.addEventListener("change", apply);
    window.addEventListener("resize", () => updateScrollHint(table, hint));
  };

  document.querySelectorAll("[data-list-tools]").forEach(setUp);
})();
