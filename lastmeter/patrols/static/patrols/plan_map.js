// A patrol plan's map: the hot cells (red by Gi* z, outlined green once visited) and each
// shift's route in its own colour, from the data the page embeds with json_script.
(function () {
  "use strict";
  const holder = document.getElementById("plan-map");
  const data = JSON.parse(document.getElementById("plan-map-data").textContent);
  const map = L.map(holder, { zoomSnap: 0.25 });
  const palette = ["#1b6ca8", "#7b3294", "#008837", "#e66101", "#5e3c99", "#d01c8b"];
  const cells = L.geoJSON(data.cells, {
    style: (f) => ({
      color: f.properties.visited ? "#1a9641" : "#b2182b",
      weight: f.properties.visited ? 3 : 1,
      fillColor: f.properties.z >= 3 ? "#b2182b" : "#ef8a62",
      fillOpacity: 0.55,
    }),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8 }),
    onEachFeature: (f, layer) =>
      layer.bindTooltip(
        `${f.properties.key} · z ${f.properties.z} · ${f.properties.count}` +
          (f.properties.team ? ` · ${f.properties.team}` : "") +
          (f.properties.visited ? " ✓" : "")
      ),
  }).addTo(map);
  const routes = L.featureGroup().addTo(map);
  data.shifts.forEach((s, i) => {
    if (s.route.length < 2) return;
    L.polyline(s.route, {
      color: palette[i % palette.length],
      weight: 4,
      dashArray: s.on_roads ? null : "6 6",
    })
      .bindTooltip(`${s.team} ${s.hours} · ${s.route_m} m`)
      .addTo(routes);
    const legend = document.querySelector(`[data-route-legend="${s.id}"]`);
    if (legend) legend.style.borderColor = palette[i % palette.length];
  });
  const bounds = cells.getBounds().extend(routes.getBounds());
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([31.23, 121.47], 14);
  holder.dataset.cells = String(data.cells.features.length);
  holder.dataset.routes = String(routes.getLayers().length);
})();
