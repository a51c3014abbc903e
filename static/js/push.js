// Portail Famille: makes the portal installable (registers the service worker) and, on
// Mon compte, subscribes this device to push messages. No inline scripts (CSP).
(function () {
  "use strict";

  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function deviceName() {
    var agent = navigator.userAgent;
    var browser = /Firefox\//.test(agent) ? "Firefox" : /Edg\//.test(agent) ? "Edge"
      : /Chrome\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "";
    var system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS"
      : /Windows/.test(agent) ? "Windows" : /Mac OS/.test(agent) ? "macOS"
      : /Linux/.test(agent) ? "Linux" : "";
    return [browser, system].filter(Boolean).join(" · ");
  }

  function setup() {
    var section = document.getElementById("appareils");
    if (!section) return;
    var form = section.querySelector("[data-push-subscribe]");
    var unsupported = section.querySelector("[data-push-unsupported]");
    var denied = section.querySelector("[data-push-denied]");
    if (!supported || !form) return;
    unsupported.hidden = true;
    if (Notification.permission === "denied") { denied.hidden = false; return; }
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (form.elements.endpoint.value) return;  // filled: the real submit
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(section.dataset.vapidKey)
        });
      }).then(function (subscription) {
        form.elements.endpoint.value = subscription.endpoint;
        form.elements.p256dh.value = toBase64url(subscription.getKey("p256dh"));
        form.elements.auth.value = toBase64url(subscription.getKey("auth"));
        form.elements.label.value = deviceName();
        form.submit();
      }).catch(function () {
        button.disabled = false;
        if (Notification.permission === "denied") { denied.hidden = false; form.hidden = true; }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
