// Starts Swagger UI on /api/docs (flask-smorest's page, with this file instead of its inline script).
(function () {
  "use strict";
  const container = document.getElementById("swagger-ui-container");
  const config = Object.assign({ url: container.dataset.specUrl, dom_id: "#swagger-ui-container" },
    JSON.parse(document.getElementById("swagger-ui-config").textContent));
  window.ui = SwaggerUIBundle(config);
})();
