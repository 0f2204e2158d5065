/* The resident's map pin: our own grids (and road network) drawn with Leaflet, no tile server
 * needed; tap or drag to set the pin, which fills the latitude and longitude fields. A pin outside
 * every grid is flagged at once (the server refuses it too). */
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el || !window.L) return;
  var grids = JSON.parse(document.getElementById("report-grids").textContent);
  var config = JSON.parse(document.getElementById("report-config").textContent);
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var status = document.getElementById("pin-status");

  // Fractional zoom so the jurisdiction fills the small map of a phone.
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
  } else {
    map.attributionControl.addAttribution("Roads © OpenStreetMap contributors (ODbL)");
  }
  var roads = L.layerGroup().addTo(map);
  var gridLayer = L.geoJSON(grids, {
    style: { color: "#1f5fbf", weight: 1.5, dashArray: "4 4", fillColor: "#1f5fbf", fillOpacity: 0.05 },
    // Names as hover tooltips with a mouse only: on a touch screen a tap would leave a stray
    // tooltip; the line under the map names the grid of the pin instead.
    onEachFeature: function (f, layer) {
      if (!L.Browser.mobile) layer.bindTooltip(f.properties.name, { sticky: true });
    },
  }).addTo(map);
  if (grids.features && grids.features.length) {
    map.fitBounds(gridLayer.getBounds(), { padding: [8, 8] });
  } else {
    map.setView([31.2305, 121.4737], 14);
  }

  fetch(config.roads_url, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (geo) {
      if (!geo) return;
      roads.addLayer(L.geoJSON(geo, {
        interactive: false,
        style: function (f) {
          var major = f.properties && /primary|secondary|trunk|motorway/.test(f.properties["class"] || "");
          return { color: major ? "#8a97a8" : "#b8c2cf", weight: major ? 3 : 1.5, opacity: 0.9 };
        },
      }));
      el.dataset.roads = String(geo.features ? geo.features.length : 0);
    })
    .catch(function () { el.dataset.roads = "0"; });

  /* Ray casting on the grids' rings (GeoJSON is [lon, lat]). */
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(lon, lat, rings) {
    if (!inRing(lon, lat, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(lon, lat, rings[k])) return false;
    return true;
  }
  function gridAt(lat, lon) {
    var fs = grids.features || [];
    for (var i = 0; i < fs.length; i++) {
      var g = fs[i].geometry;
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polys.length; p++) if (inPolygon(lon, lat, polys[p])) return fs[i].properties.name;
    }
    return null;
  }

  var marker = null;
  function show(lat, lon) {
    if (!(grids.features && grids.features.length)) { status.textContent = ""; return; }
    var name = gridAt(lat, lon);
    status.classList.toggle("outside", !name);
    status.textContent = name ? config.inside.replace("%(name)s", name) : config.outside;
    el.dataset.pinInside = name ? "1" : "0";
  }
  function place(lat, lon, fill) {
    var ll = L.latLng(lat, lon);
    if (!marker) {
      marker = L.marker(ll, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        place(p.lat, p.lng, true);
      });
    } else {
      marker.setLatLng(ll);
    }
    if (fill) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
    }
    el.dataset.pin = latInput.value + "," + lonInput.value;
    show(lat, lon);
  }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, true); });

  function fromInputs() {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      place(lat, lon, false);
      map.panTo([lat, lon]);
    }
  }
  latInput.addEventListener("change", fromInputs);
  lonInput.addEventListener("change", fromInputs);
  if (latInput.value && lonInput.value) fromInputs();

  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.latitude, p.coords.longitude, true);
      map.setView([p.coords.latitude, p.coords.longitude], Math.max(map.getZoom(), 16));
    });
  });
  el.dataset.ready = "1";
})();
