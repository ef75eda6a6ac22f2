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
