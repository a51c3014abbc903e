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

  // After an htmx swap the focus stays on what changed (a tapped cell, the new period's
  // heading) instead of falling to <body>, and a polite live region says a cell's new
  // state or refusal. A cell that polls while the person is elsewhere keeps quiet about
  // focus: only focus that was inside the old element, or lost, is moved.
  function focusTarget(element, kind) {
    if (element.id === "planning") return document.getElementById("planning-title");
    // The same button as before when it is still there (« Revenir en arrière » stays
    // focused while its cell settles), else the first one.
    var button = (kind && element.querySelector("button." + kind + ":not([disabled])")) ||
      element.querySelector("button:not([disabled])");
    if (button) return button;
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    return element;
  }

  function cellWords(cell) {
    var words = [cell.dataset.say];
    cell.querySelectorAll(".cell__refusal, .cell__changed, .cell__said").forEach(function (note) {
      words.push(note.textContent.trim());
    });
    return words.join(". ");
  }

  document.addEventListener("htmx:before:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (!target || !target.id || target.id === "alerts") return;
    ctx.portailSwap = {
      id: target.id,
      hadFocus: target.contains(document.activeElement),
      kind: target.contains(document.activeElement) && document.activeElement.tagName === "BUTTON"
        ? (document.activeElement.className.match(/cell__button--[a-z_]+/) || [null])[0] : null,
      said: target.dataset.say ? cellWords(target) : null
    };
  });

  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var before = ctx && ctx.portailSwap;
    if (!before) return;
    ctx.portailSwap = null;
    var element = document.getElementById(before.id);
    if (!element) return;
    var lost = !document.activeElement || document.activeElement === document.body;
    if (before.hadFocus || lost) focusTarget(element, before.kind).focus({ preventScroll: true });
    var announce = document.getElementById("announce");
    if (announce && element.dataset.say) {
      var said = cellWords(element);
      if (said !== before.said) announce.textContent = said;
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupMenu);
  } else {
    setupMenu();
  }
})();
