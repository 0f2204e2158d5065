/* The shared Leaflet map: the system's own road network and grids (works offline), an optional
 * tile layer (settings.LASTMETER_TILE_URL), and markers for units, incidents and appeals. */
(function () {
  "use strict";
  var LM = window.LM;

  var STATUS_COLOURS = {
    available: "#2e7d32",
    dispatched: "#e08a00",
    en_route: "#1f5fbf",
    on_scene: "#7b1fa2",
    returning: "#00897b",
    off_duty: "#9e9e9e",
  };
  var AGENCY = {
    police: { letter: "警", colour: "#10253f" },
    traffic_police: { letter: "交", colour: "#f9a825" },
    urban_management: { letter: "城", colour: "#6d4c41" },
    fire: { letter: "消", colour: "#c62828" },
  };

  function createMap(id, opts) {
    opts = opts || {};
    var map = L.map(id, { preferCanvas: true, zoomControl: !opts.compact, attributionControl: true });
    map.setView(opts.center || [31.2305, 121.4737], opts.zoom || 15);
    if (LM.config.tile_url) {
      L.tileLayer(LM.config.tile_url, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
    } else {
      map.attributionControl.addAttribution(LM.config.attribution || "Roads © OpenStreetMap contributors (ODbL)");
    }
    var layers = {
      roads: L.layerGroup().addTo(map),
      grids: L.layerGroup().addTo(map),
      appeals: L.layerGroup().addTo(map),
      incidents: L.layerGroup().addTo(map),
      units: L.layerGroup().addTo(map),
      routes: L.layerGroup().addTo(map),
      sos: L.layerGroup().addTo(map),
    };
    return { map: map, layers: layers };
  }

  /* The road network as GeoJSON from the system itself: drawn once, never refetched. */
  function drawRoads(ctx, done) {
    LM.api("GET", LM.url("roads"))
      .then(function (geo) {
        var layer = L.geoJSON(geo, {
          interactive: false,
          style: function (f) {
            var major = f.properties && /primary|secondary|trunk|motorway/.test(f.properties["class"] || "");
            return { color: major ? "#8a97a8" : "#b8c2cf", weight: major ? 3 : 1.5, opacity: 0.9 };
          },
        });
        ctx.layers.roads.addLayer(layer);
        document.body.dataset.roads = "1";
        if (done) done(layer);
      })
      .catch(function (e) {
        document.body.dataset.roads = "0";
        console.warn("road network not available", e);
      });
  }

  function drawGrids(ctx, geo, fit) {
    var layer = L.geoJSON(geo, {
      style: { color: "#1f5fbf", weight: 1.5, dashArray: "4 4", fillOpacity: 0.03 },
      onEachFeature: function (f, l) {
        l.bindTooltip(f.properties.name + (f.properties.officer ? " · " + f.properties.officer : ""), { sticky: true });
      },
    });
    ctx.layers.grids.addLayer(layer);
    if (fit && geo.features && geo.features.length) ctx.map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    return layer;
  }

  function unitIcon(unit, extraClass) {
    var a = AGENCY[unit.agency] || { letter: "?", colour: "#333" };
    var colour = STATUS_COLOURS[unit.status] || "#555";
    return L.divIcon({
      className: "unit-icon " + (extraClass || ""),
      html:
        '<span class="unit-dot" style="background:' + colour + ";border-color:" + a.colour + '">' + a.letter + "</span>",
      iconSize: [26, 26],
      iconAnchor: [13, 13],
    });
  }

  function personName(x) {
    if (!x) return "";
    if (x.person && typeof x.person === "object") return x.person.name || "";
    return x.person_name || "";
  }

  function unitLabel(unit) {
    var who = personName(unit);
    return (unit.code ? unit.code + " " : "") + (unit.name || "#" + unit.id) + (who ? " · " + who : "") +
      " — " + LM.t("agency." + unit.agency) + " / " + LM.t("status." + unit.status);
  }

  /* Appeal colours, by the share of the running clock left (the command centre's legend lists them). */
  var APPEAL_COLOURS = {
    plenty: "#2e7d32", // half the time or more left
    half: "#f9a825", // less than half left
    quarter: "#ef6c00", // less than a quarter left
    overdue: "#c62828", // deadline passed (or breached)
    none: "#607d8b", // no running clock
  };

  function appealColour(a, now) {
    if (a.breached) return APPEAL_COLOURS.overdue;
    if (!a.due_at) return APPEAL_COLOURS.none;
    var due = Date.parse(a.due_at), start = a.started_at ? Date.parse(a.started_at) : due - 24 * 3600e3;
    var left = due - now;
    if (left <= 0) return APPEAL_COLOURS.overdue;
    var frac = left / Math.max(1, due - start);
    if (frac < 0.25) return APPEAL_COLOURS.quarter;
    if (frac < 0.5) return APPEAL_COLOURS.half;
    return APPEAL_COLOURS.plenty;
  }

  function routeLatLngs(route) {
    if (!route) return [];
    if (Array.isArray(route)) return route; // [[lat, lon], ...]
    if (route.type === "Feature") route = route.geometry;
    if (route.type === "LineString") return route.coordinates.map(function (c) { return [c[1], c[0]]; });
    if (route.type === "MultiLineString") {
      return [].concat.apply([], route.coordinates.map(function (line) {
        return line.map(function (c) { return [c[1], c[0]]; });
      }));
    }
    return [];
  }

  function drawRoute(ctx, route, colour) {
    var pts = routeLatLngs(route);
    if (pts.length < 2) return null;
    return L.polyline(pts, { color: colour || "#1f5fbf", weight: 5, opacity: 0.8 }).addTo(ctx.layers.routes);
  }

  LM.mapbase = {
    STATUS_COLOURS: STATUS_COLOURS,
    AGENCY: AGENCY,
    APPEAL_COLOURS: APPEAL_COLOURS,
    createMap: createMap,
    drawRoads: drawRoads,
    drawGrids: drawGrids,
    unitIcon: unitIcon,
    unitLabel: unitLabel,
    personName: personName,
    appealColour: appealColour,
    routeLatLngs: routeLatLngs,
    drawRoute: drawRoute,
  };
})();
