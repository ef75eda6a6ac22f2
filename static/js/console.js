// Confirmation pop-ups: a link carrying data-confirm-modal fills the page's shared dialog with its
// data-confirm-* text and target, and opens it instead of navigating (without JavaScript the link
// leads to a plain confirmation page).
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-confirm-modal]");
  if (!opener || !window.bootstrap) return;
  const modal = document.querySelector(opener.dataset.confirmModal);
  if (!modal) return;
  event.preventDefault();
  const data = opener.dataset;
  modal.querySelector("form").action = data.confirmAction;
  modal.querySelector(".modal-title").textContent = data.confirmTitle;
  modal.querySelector("[data-confirm-text]").textContent = data.confirmBody;
  const submit = modal.querySelector("[data-confirm-submit]");
  submit.textContent = data.confirmLabel;
  submit.className = `btn ${data.confirmClass || "btn-primary"}`;
  const blocked = data.confirmBlocked !== undefined;
  submit.hidden = blocked;
  const link = modal.querySelector("[data-confirm-link]");
  link.hidden = !(blocked && data.confirmBlocked);
  link.href = data.confirmBlocked || "";
  link.textContent = data.confirmLabel;
  window.bootstrap.Modal.getOrCreateInstance(modal).show();
});

// Generate a password in the account form and show it once.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-generate-password]");
  if (!button) return;
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = new Uint32Array(16);
  window.crypto.getRandomValues(bytes);
  const password = Array.from(bytes, (value) => alphabet[value % alphabet.length]).join("");
  for (const name of ["password1", "password2"]) {
    const input = document.querySelector(`input[name="${name}"]`);
    if (input) input.value = password;
  }
  const shown = document.querySelector(button.dataset.generatePassword);
  if (shown) { shown.textContent = password; shown.closest(".generated-password").classList.remove("d-none"); }
});

// Bulk selection on account lists: "select this page" ticks every row of the page, and the
// "Apply to N ticked" button counts the ticked rows (rows tick into the bar's form by form="...").
(() => {
  const form = document.querySelector("[data-bulk-form]");
  if (!form) return;
  const pageBox = document.querySelector("[data-bulk-page]");
  const rows = () => Array.from(document.querySelectorAll(`input[name="ids"][form="${form.id}"]`));
  const count = form.querySelector("[data-bulk-count]");
  const tickedButton = form.querySelector("[data-bulk-selected]");
  const update = () => {
    const boxes = rows();
    const ticked = boxes.filter((box) => box.checked).length;
    count.textContent = String(ticked);
    tickedButton.disabled = ticked === 0;
    if (pageBox) {
      pageBox.checked = ticked > 0 && ticked === boxes.length;
      pageBox.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  };
  document.addEventListener("change", (event) => {
    if (event.target === pageBox) rows().forEach((box) => { box.checked = pageBox.checked; });
    if (event.target === pageBox || event.target.matches?.(`input[name="ids"][form="${form.id}"]`)) update();
  });
  update();
})();

// Error pages: "Previous page" goes back in the browser's history, when there is one.
for (const button of document.querySelectorAll("[data-history-back]")) {
  if (window.history.length < 2) continue;
  button.hidden = false;
  button.addEventListener("click", () => window.history.back());
}

// Sortable tables: the sorted column's heading carries aria-sort (the sort link names its state).
for (const link of document.querySelectorAll(".sort-link[data-sort-state]")) {
  const heading = link.closest("th");
  if (heading) heading.setAttribute("aria-sort", link.dataset.sortState);
}

// "/" focuses the top bar's search box, unless the operator is typing somewhere.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  const box = document.querySelector(".topbar-search input[type=search]");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});

// A table wider than the screen scrolls sideways: keyboard users reach it (tabindex) and screen
// readers hear that it scrolls.
for (const region of document.querySelectorAll(".table-responsive")) {
  if (region.scrollWidth <= region.clientWidth) continue;
  region.tabIndex = 0;
  region.setAttribute("role", "region");
  region.setAttribute("aria-label", document.body.dataset.textTableScrolls);
}

// The search help dialog gets its text (a <template>) when it first opens.
document.getElementById("search-help")?.addEventListener("show.bs.modal", (event) => {
  const body = event.target.querySelector(".modal-body");
  const content = document.getElementById("search-help-content");
  if (!body.childElementCount && content) body.append(content.content.cloneNode(true));
});

// Copy buttons (story): data-copy="#selector" copies that element's value or text, then says so.
// The Clipboard API needs a secure context; on plain http the selection and execCommand still work.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    if (source.select) source.select(); else { getSelection().removeAllRanges(); getSelection().addRange(range); }
    copied = document.execCommand("copy");
  }
  button.lastChild.textContent = ` ${copied ? document.body.dataset.textCopied : document.body.dataset.textCopyHint}`;
});
