// Portail Famille: file upload with a progress bar. htmx 4 sends with fetch, which
// reports no upload progress, so a form marked data-upload is sent with XMLHttpRequest.
// Without JavaScript the same form is posted as usual (progressive enhancement).
// The server answers as it does to htmx: HX-Redirect on success, the form again with
// its messages (200) for a refused file, or an alert for #alerts (HX-Retarget) for a
// stale page, a file too large for the server, too many attempts.
(function () {
  "use strict";

  function showError(form, message) {
    var box = form.querySelector("[data-upload-error]");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  function setProgress(form, percent) {
    var area = form.querySelector("[data-upload-progress]");
    if (!area) return;
    area.hidden = percent === null;
    if (percent === null) return;
    area.querySelector("progress").value = percent;
    area.querySelector("[data-upload-percent]").textContent = percent + " %";
  }

  function networkError() {
    return document.body.dataset.networkError ||
      "La connexion au serveur a échoué. Vérifiez votre connexion puis réessayez.";
  }

  function finish(form, xhr, button) {
    var redirect = xhr.getResponseHeader("HX-Redirect");
    if (redirect) {
      window.location.assign(redirect);
      return;
    }
    button.disabled = false;
    setProgress(form, null);
    var target = xhr.getResponseHeader("HX-Retarget");
    if (target && document.querySelector(target)) {
      document.querySelector(target).innerHTML = xhr.responseText;
      return;
    }
    if (xhr.status === 200) {
      var template = document.createElement("template");
      template.innerHTML = xhr.responseText;
      var fresh = template.content.querySelector("form[data-upload]");
      if (fresh) {
        form.replaceWith(fresh);
        var invalid = fresh.querySelector("[aria-invalid='true']");
        if (invalid) invalid.focus();
        return;
      }
    }
    showError(form, networkError());
  }

  function send(form) {
    var input = form.querySelector("input[type='file']");
    var limit = Number(form.dataset.maxBytes || 0);
    if (input && input.files.length && limit && input.files[0].size > limit) {
      showError(form, form.dataset.tooLarge);
      input.focus();
      return;
    }
    showError(form, "");
    var button = form.querySelector("[type='submit']");
    button.disabled = true;
    setProgress(form, 0);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        setProgress(form, Math.round(event.loaded / event.total * 100));
      }
    });
    xhr.addEventListener("load", function () { finish(form, xhr, button); });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      setProgress(form, null);
      showError(form, networkError());
    });
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-upload]");
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    send(form);
  });
})();
