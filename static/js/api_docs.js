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
}
