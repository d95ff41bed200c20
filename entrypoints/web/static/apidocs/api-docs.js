/* Starts Swagger UI on /api/docs. A file of its own: the CSP allows scripts from this origin only, none inline.
 * "Try it out" POSTs need the session's CSRF token: it comes from this page's <meta name="csrf-token">, and is
 * fetched again after each POST, since signing in or out starts a new session with a new token. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var root = document.getElementById("swagger-ui");
  var writes = {};  // URLs of POSTs under way: their responses trigger a token refresh

  function refreshToken() {
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector('meta[name="csrf-token"]');
        if (fresh && meta) { meta.content = fresh.content; }
      })
      .catch(function () { /* keep the old token: the next POST says csrf_invalid if it is stale */ });
  }

  function isWrite(method) {
    return ["GET", "HEAD", "OPTIONS"].indexOf(String(method || "GET").toUpperCase()) === -1;
  }

  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,  // no badge from validator.swagger.io: nothing leaves this origin
    displayRequestDuration: true,
    requestInterceptor: function (request) {
      if (isWrite(request.method)) {
        if (meta) { request.headers["X-CSRFToken"] = meta.content; }
        writes[request.url] = true;
      }
      request.credentials = "same-origin";
      return request;
    },
    responseInterceptor: function (response) {
      // After any POST, not only those that start a new session: cheap, and nothing to keep in step with the API.
      if (response && writes[response.url]) {
        delete writes[response.url];
        refreshToken();
      }
      return response;
    }
  });
})();
