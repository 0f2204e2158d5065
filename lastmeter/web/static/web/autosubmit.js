// A <select data-autosubmit> submits its form when changed (the language switch, list filters).
// A file rather than onchange="…" attributes: the Content-Security-Policy allows no inline script.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
