// The hotspots map: the system's own grids (no tiles) and the Gi* cells coloured by z.
(function () {
  "use strict";
  const cells = JSON.parse(document.getElementById("hs-cells").textContent);
  const grids = JSON.parse(document.getElementById("hs-grids").textContent);
  const map = L.map("hs-map", { zoomSnap: 0.25 });
  const gridLayer = L.geoJSON(grids, {
    style: { color: "#555", weight: 1, fill: false },
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name),
  }).addTo(map);
  function colour(p) {
    if (p.kind === "hot") return p.z >= 3 ? "#b2182b" : "#ef8a62";
    if (p.kind === "cold") return "#67a9cf";
    return "#999";
  }
  const cellLayer = L.geoJSON(cells, {
    style: (f) => ({
      color: f.properties.trend === "new" || f.properties.trend === "intensifying" ? "#222" : colour(f.properties),
      weight: f.properties.trend === "new" || f.properties.trend === "intensifying" ? 3 : 0.5,
      fillColor: colour(f.properties),
      fillOpacity: f.properties.kind ? 0.6 : 0.1,
    }),
    onEachFeature: (f, layer) =>
      layer.bindTooltip(`${f.properties.key}: ${f.properties.count} · z ${f.properties.z} · p ${f.properties.p}` +
        (f.properties.trend ? ` · ${f.properties.trend}` : "")),
  }).addTo(map);
  const bounds = cellLayer.getBounds().isValid() ? cellLayer.getBounds() : gridLayer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds); else map.setView([31.23, 121.47], 13);
})();
