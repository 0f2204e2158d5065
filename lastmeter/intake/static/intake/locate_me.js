// "Use my location" on the intake forms without a map: fill latitude and longitude from the device.
// A file, not an inline script: the Content-Security-Policy allows only this server's scripts.
(function () {
  var button = document.getElementById("locate-me");
  if (!button) { return; }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("lat").value = p.coords.latitude.toFixed(6);
      document.getElementById("lon").value = p.coords.longitude.toFixed(6);
    });
  });
})();
