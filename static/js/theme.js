// Colour mode (Bootstrap 5.3's data-bs-theme), set before the page paints: the mode the operator
// chose with the top bar's toggle (kept in this browser), else the system's preference, which is
// followed live while no choice is kept. Loaded in <head>; the toggle is wired once the page exists.
(() => {
  // Scripts run on this page: styles that wait for a script (a list table's remembered columns) key on it.
  document.documentElement.dataset.scripted = "";
  const KEY = "console-colour-mode";
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  let chosen = null;
  try { chosen = localStorage.getItem(KEY); } catch { /* storage off: follow the system */ }
  const mode = () => chosen || (system.matches ? "dark" : "light");
  const apply = () => {
    const dark = mode() === "dark";
    document.documentElement.setAttribute("data-bs-theme", mode());
    for (const toggle of document.querySelectorAll("[data-theme-toggle]")) {
      toggle.setAttribute("aria-pressed", String(dark));
      toggle.title = dark ? toggle.dataset.titleOn : toggle.dataset.titleOff;  // the page's words, in its language
      toggle.querySelector("i").className = `bi ${dark ? "bi-moon-stars-fill" : "bi-moon-stars"}`;
    }
  };
  apply();
  system.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", () => {
    apply();
    for (const toggle of document.querySelectorAll("[data-theme-toggle]")) {
      toggle.addEventListener("click", () => {
        chosen = mode() === "dark" ? "light" : "dark";
        try { localStorage.setItem(KEY, chosen); } catch { /* kept for this page only */ }
        apply();
      });
    }
  });
})();
