// Tell the console that a phone's browser showed this page. Link previewers and scanners fetch the
// page without running scripts, so a bare GET never counts as the customer opening the link.
(() => {
  const beacon = document.getElementById("opened-beacon");
  if (!beacon || !window.fetch) return;
  fetch(beacon.action, { method: "POST", body: new FormData(beacon), credentials: "same-origin" }).catch(() => {});
})();

// Activate answers with the settings file, a download that leaves the page as it was: once the
// form is sent, say that the settings went out and what comes next (the link is now used).
(() => {
  const form = document.querySelector("[data-activation-form]");
  if (!form) return;
  form.addEventListener("submit", () => {
    form.querySelector("button").disabled = true;
    window.setTimeout(() => {
      document.querySelector(".activation-ask").hidden = true;
      const sent = document.querySelector(".activation-sent");
      sent.hidden = false;
      sent.focus();
    }, 300);
  });
})();
