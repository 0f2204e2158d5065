/* The tracking page's copy button: copies the link (clipboard API, else select + execCommand). */
(function () {
  "use strict";
  var button = document.getElementById("copy-link");
  var input = document.getElementById("track-link");
  if (!button || !input) return;
  var label = button.textContent;
  function done() {
    button.textContent = button.dataset.copied || "✓";
    document.body.dataset.copied = "1";
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  button.addEventListener("click", function () {
    var text = input.value;
    if (text.charAt(0) === "/") text = window.location.origin + text;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); });
    } else {
      fallback(text);
    }
  });
  function fallback(text) {
    input.value = text;
    input.focus();
    input.select();
    try { document.execCommand("copy"); } catch (e) { /* the link stays selected for the user */ }
    done();
  }
})();
