// Countdowns to deadlines, and the landing button's geolocation. No framework needed here.
(function () {
  function fmt(ms) {
    const neg = ms < 0; ms = Math.abs(ms);
    const h = Math.floor(ms / 3600000), m = Math.floor((ms % 3600000) / 60000);
    return (neg ? "-" : "") + h + "h" + String(m).padStart(2, "0") + "m";
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      if (el.dataset.static) return;
      const left = new Date(el.dataset.due) - new Date();
      el.textContent = fmt(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 2 * 3600000);
    });
  }
  tick(); setInterval(tick, 30000);
  document.querySelectorAll("button[data-geolocate]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      const form = btn.form;
      if (form.lat.value || !navigator.geolocation) return;
      ev.preventDefault();
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.lat.value = pos.coords.latitude; form.lon.value = pos.coords.longitude; form.submit();
      }, function () { form.submit(); }, { enableHighAccuracy: true, timeout: 10000 });
    });
  });
})();
