// tessera's only script: copy buttons, the reveal dialog, delete confirmation.
// Every page works without it.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP deployments: the older selection-based copy.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function setupCopyButtons(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      // Hidden in the markup: without this script they could not work.
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        var status = root.querySelector(".copy-status");
        // Only the visible word changes, so the accessible name ("Copy
        // token", "Copied token") always contains what is on screen.
        var word = button.querySelector(".copy-text") || button;
        var label = button.getAttribute("aria-label");
        if (!source) { return; }
        copyText(source.textContent.trim()).then(function () {
          var dialog = source.closest("dialog");
          if (dialog && (source.classList.contains("secret") || source.id === "snippet-curl")) {
            dialog.setAttribute("data-copied", "");
          }
          word.textContent = "Copied";
          if (label) { button.setAttribute("aria-label", label.replace(/^Copy/, "Copied")); }
          button.classList.add("copied");
          if (status) {
            var name = button.getAttribute("aria-label") || button.textContent.trim();
            status.textContent = name + " to the clipboard.";
          }
          setTimeout(function () {
            word.textContent = "Copy";
            if (label) { button.setAttribute("aria-label", label); }
            button.classList.remove("copied");
          }, 2000);
        }, function () {
          if (status) { status.textContent = "Copying failed: select the text and copy it by hand."; }
        });
      });
    });
  }

  // A secret shown once (a new token's, a new account's password), with
  // what to call it when asking before it is closed uncopied, and the
  // heading that takes the focus afterwards.
  function setupRevealDialog(id, what, headingId) {
    var dialog = document.getElementById(id);
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    // Shown open for browsers without JavaScript; with it, make it modal.
    // close() queues a "close" event that arrives after showModal(): the
    // listener below must not take that one for the user closing it.
    dialog.close();
    dialog.showModal();
    // The secret is shown this once: Esc or the button asks first while
    // it has not been copied.
    var leaving = "Close without copying the " + what + "? It will not be shown again.";
    dialog.addEventListener("cancel", function (event) {
      if (!dialog.hasAttribute("data-copied") && !window.confirm(leaving)) { event.preventDefault(); }
    });
    var closer = dialog.querySelector("form[method=dialog]");
    if (closer) {
      closer.addEventListener("submit", function (event) {
        if (!dialog.hasAttribute("data-copied") && !window.confirm(leaving)) { event.preventDefault(); }
      });
    }
    setupSnippet(dialog);
    dialog.addEventListener("close", function () {
      if (dialog.open) { return; }
      // Nothing of the secret stays in the page once the dialog is closed.
      dialog.querySelectorAll("code.secret, pre.example code").forEach(function (el) { el.textContent = ""; el.removeAttribute("data-secret"); });
      dialog.remove();
      var heading = document.getElementById(headingId);
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    });
  }

  // The reveal dialog's curl command, in the header form chosen.
  function setupSnippet(dialog) {
    var select = dialog.querySelector("#snippet-form");
    var code = dialog.querySelector("#snippet-curl");
    if (!select || !code) { return; }
    select.hidden = false;
    var label = dialog.querySelector("label[for=snippet-form]");
    if (label) { label.hidden = false; }
    select.addEventListener("change", function () {
      code.textContent = "curl -H \"" + select.value + code.getAttribute("data-secret") + "\" " + code.getAttribute("data-url");
    });
  }

  // A form, or the button that submits it, may ask first (data-confirm);
  // once confirmed, the post says so and the server skips its own
  // confirmation page (the one seen without JavaScript).
  function setupConfirmations() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var asker = submitter && submitter.hasAttribute("data-confirm") ? submitter
          : form.hasAttribute("data-confirm") ? form : null;
        // One added for an earlier submission (the page came back from
        // the history) must not confirm this one.
        var added = form.querySelector("input[name=confirmed][data-added]");
        if (added) { added.remove(); }
        if (!asker) { return; }
        if (!window.confirm(asker.getAttribute("data-confirm"))) {
          event.preventDefault();
          return;
        }
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "confirmed";
        input.value = "yes";
        input.setAttribute("data-added", "");
        form.appendChild(input);
      });
    });
  }

  function setupGenerateForm() {
    var details = document.getElementById("generate");
    if (!details) { return; }
    details.addEventListener("toggle", function () {
      if (details.open) {
        var label = document.getElementById("label");
        if (label) { label.focus(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopyButtons(document);
    setupRevealDialog("token-reveal", "token", "tokens-title");
    setupRevealDialog("password-reveal", "password", "account-title");
    setupConfirmations();
    setupGenerateForm();
  });
})();
