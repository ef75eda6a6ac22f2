// Tell the console that a phone's browser showed this page. Link previewers and scanners fetch the
// page without running scripts, so a bare GET never counts as the customer opening the link.
(() => {
  const beacon = document.getElementById("opened-beacon");
  if (!beacon || !window.fetch) return;
  fetch(beacon.action, { method: "POST", body: new FormData(beacon), credentials: "same-origin" }).catch(() => {});
})();
