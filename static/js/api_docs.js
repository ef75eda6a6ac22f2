// The API documentation page: Swagger UI (served from the console, no CDN) on the OpenAPI document.
// Its own layout wraps the operations in a second <main> beside the console's and repeats the
// page's title as another <h1>; this layout keeps only the Authorize button and the operations,
// under the page's own headings. Without deep links no link sits inside an operation's button.
function ConsoleLayoutPlugin(system) {
  const h = system.React.createElement;
  function ConsoleLayout({ getComponent }) {
    const AuthorizeButton = getComponent("AuthorizeBtnContainer", true);
    const Operations = getComponent("operations", true);
    return h("div", { className: "swagger-ui" },
      h("div", { className: "scheme-container" }, h(AuthorizeButton)),
      h("div", { className: "wrapper" }, h(Operations)));
  }
  return { components: { ConsoleLayout } };
}

// What Swagger UI draws when an operation or the Authorize dialog opens, made usable from the
// keyboard and by a screen reader: code samples that scroll take the focus, the dialog's close
// button has a name, and its Authorize button is called what it says.
function repairAccessibility(root) {
  const closeLabel = root.dataset.closeLabel;
  root.querySelectorAll(".highlight-code > pre:not([tabindex])").forEach((sample) => sample.setAttribute("tabindex", "0"));
  root.querySelectorAll(".close-modal:not([aria-label])").forEach((button) => button.setAttribute("aria-label", closeLabel));
  root.querySelectorAll(".modal-btn.authorize[aria-label]").forEach((button) => button.removeAttribute("aria-label"));
}

const container = document.getElementById("swagger-ui");
if (container && window.SwaggerUIBundle) {
  window.SwaggerUIBundle({
    url: container.dataset.schemaUrl,
    domNode: container,
    deepLinking: false,
    persistAuthorization: false,
    docExpansion: "list",
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [ConsoleLayoutPlugin],
    layout: "ConsoleLayout",
  });
  new MutationObserver(() => repairAccessibility(container))
    .observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label", "tabindex"] });
}
