// The API documentation page: Swagger UI (served from the console, no CDN) on the OpenAPI document.
const container = document.getElementById("swagger-ui");
if (container && window.SwaggerUIBundle) {
  window.SwaggerUIBundle({
    url: container.dataset.schemaUrl,
    domNode: container,
    deepLinking: true,
    persistAuthorization: false,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
}
