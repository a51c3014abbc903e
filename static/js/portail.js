// Portail Famille: the little behaviour htmx does not cover. No inline scripts (CSP).
(function () {
  "use strict";

  function setupMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    // Without JavaScript, nojs.css keeps the menu open.
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("is-open", !open);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) window.print();
  });

  // An htmx request that fails on the network must not fail silently.
  document.addEventListener("htmx:error", function (event) {
    var alerts = document.getElementById("alerts");
    if (!alerts || (event.detail && event.detail.ctx && event.detail.ctx.response)) return;
    var box = document.createElement("div");
    box.className = "alert alert--error";
    box.setAttribute("role", "alert");
    box.textContent = document.body.dataset.networkError ||
      "La connexion au serveur a échoué. Vérifiez votre connexion puis réessayez.";
    alerts.replaceChildren(box);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupMenu);
  } else {
    setupMenu();
  }
})();
