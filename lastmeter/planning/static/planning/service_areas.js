/* The service-areas page: a map of platforms and intersections (coloured by response time), the
 * containment form (cordon + which platform seals which intersection, drawn on the map) and the
 * city-wide review by district. Talks to /api/v1/planning with the session cookie + CSRF header.
 * Works without Leaflet too (tables only), e.g. when the vendor files are not installed. */
(function () {
  "use strict";
  var root = document.getElementById("sa-root");
  if (!root) return;
  var S = JSON.parse((document.getElementById("sa-strings") || {}).textContent || "{}");
  function t(key, vars) {
    var s = S[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var i = document.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }
  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrf() } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
        if (!r.ok) {
          var d = data && data.detail;
          throw new Error(typeof d === "string" ? d : (d ? JSON.stringify(d) : t("error") + " (" + r.status + ")"));
        }
        return data;
      });
    });
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  /* An intersection in words: its streets, else the streets nearest it (ramps and slip roads have
   * no name), else its road-map node id. */
  function place(row) {
    if (row.streets && row.streets.length) return row.streets.join(" / ");
    if (row.near && row.near.length) return t("near", { streets: row.near.join(" / ") });
    return t("intersection", { node: row.node });
  }
  function num(v) { return v === null || v === undefined ? t("unreachable") : v; }
  function showError(id, err) {
    var p = document.getElementById(id);
    p.textContent = err ? err.message : "";
    p.hidden = !err;
  }

  /* ---- the map ---- */
  var map = null, layers = {}, intersections = [];
  if (window.L) {
    map = L.map("sa-map", { preferCanvas: true }).setView([31.2305, 121.4737], 15);
    map.attributionControl.addAttribution(t("attribution"));
    ["roads", "areas", "review", "region", "cordon"].forEach(function (k) { layers[k] = L.layerGroup().addTo(map); });
    api("GET", root.dataset.roadsUrl).then(function (geo) {
      layers.roads.addLayer(L.geoJSON(geo, { interactive: false, style: { color: "#b8c2cf", weight: 1.5 } }));
    }).catch(function () { /* roads are only the backdrop */ });
    api("GET", root.dataset.geojsonUrl).then(function (geo) {
      var bounds = [];
      geo.features.forEach(function (f) {
        var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        var p = f.properties;
        bounds.push(ll);
        if (p.layer === "platform") {
          L.circleMarker(ll, { radius: 7, color: "#10253f", fillColor: "#10253f", fillOpacity: 1 })
            .bindTooltip(p.name + " (" + p.code + ")").addTo(layers.areas);
          return;
        }
        intersections.push({ node: p.node, ll: ll, row: p });
        L.circleMarker(ll, { radius: 3, weight: 0, fillOpacity: 0.8, fillColor: p.beyond_target ? "#c62828" : "#2e7d32" })
          .bindTooltip(place(p) + " · " + p.time_min + " min · " + (p.platform || "-"))
          .on("click", function () { pick(p.node, p); }).addTo(layers.areas);
      });
      if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
    }).catch(function () { /* no platforms yet: the page says so */ });
    map.on("click", function (e) {
      var best = null, bd = Infinity;
      intersections.forEach(function (x) {
        var d = map.distance(e.latlng, x.ll);
        if (d < bd) { bd = d; best = x; }
      });
      if (best && bd < 150) pick(best.node, best.row);
    });
  }
  function pick(node, row) {
    var input = document.querySelector("#containment-form [name=incident]");
    if (input) input.value = node;
    var named = document.getElementById("incident-place");
    if (named) named.textContent = row ? place(row) : "";
  }
  function point(text) {
    var s = String(text || "").trim();
    if (!s) return null;
    var parts = s.split(",").map(function (x) { return x.trim(); });
    if (parts.length === 2) return { lat: Number(parts[0]), lon: Number(parts[1]) };
    return { node: Number(s) };
  }

  /* ---- containment ---- */
  var cform = document.getElementById("containment-form");
  cform.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var fd = new FormData(cform);
    var exits = String(fd.get("exits") || "").split("\n").map(point).filter(Boolean);
    var body = {
      incident: point(fd.get("incident")) || {},
      head_start_min: Number(fd.get("head_start_min")),
      police_speed_kmh: Number(fd.get("police_speed_kmh")),
      suspect_speed_kmh: Number(fd.get("suspect_speed_kmh")),
      margin_min: Number(fd.get("margin_min")),
      exits: exits.length ? exits : null,
    };
    showError("containment-error", null);
    api("POST", root.dataset.containmentUrl, body).then(showContainment).catch(function (e) {
      document.getElementById("containment-result").hidden = true;
      if (map) { layers.cordon.clearLayers(); layers.region.clearLayers(); }
      showError("containment-error", e);
    });
  });
  function showContainment(r) {
    document.getElementById("containment-summary").textContent = t("incident") + ": " + place(r.incident) + ". " + t("cordon_line", {
      n: r.cordon_size, p: r.platforms_used, t: r.completion_after_alarm_min, T: r.completion_min,
      r: r.contained_intersections, ok: r.cut_valid ? t("valid") : t("invalid"),
    });
    var tbody = document.querySelector("#containment-result tbody");
    tbody.innerHTML = "";
    r.assignments.forEach(function (a) {
      var tr = el("tr");
      tr.appendChild(el("td", place(a)));
      tr.appendChild(el("td", a.platform_name + " (" + a.platform + ")"));
      tr.appendChild(el("td", a.police_min));
      tr.appendChild(el("td", a.suspect_min));
      tbody.appendChild(tr);
    });
    document.getElementById("containment-result").hidden = false;
    if (!map) return;
    layers.cordon.clearLayers();
    layers.region.clearLayers();
    r.region.forEach(function (ll) {
      L.circleMarker(ll, { radius: 4, weight: 0, fillColor: "#f4a6a6", fillOpacity: 0.7, interactive: false }).addTo(layers.region);
    });
    r.exits.forEach(function (e) {
      L.circleMarker([e.lat, e.lon], { radius: 3, color: "#333", weight: 1, fillOpacity: 0 }).bindTooltip(t("exits")).addTo(layers.cordon);
    });
    var pts = [[r.incident.lat, r.incident.lon]];
    r.assignments.forEach(function (a) {
      L.polyline([[a.platform_lat, a.platform_lon], [a.lat, a.lon]], { color: "#1f5fbf", weight: 2, dashArray: "4 4" }).addTo(layers.cordon);
      L.circleMarker([a.lat, a.lon], { radius: 7, color: "#1f5fbf", fillColor: "#1f5fbf", fillOpacity: 0.9 })
        .bindTooltip(place(a) + " ← " + a.platform_name + " · " + a.police_min + " / " + a.suspect_min + " min").addTo(layers.cordon);
      pts.push([a.lat, a.lon]);
    });
    L.circleMarker([r.incident.lat, r.incident.lon], { radius: 9, color: "#ff6f00", fillColor: "#ff6f00", fillOpacity: 1 })
      .bindTooltip(t("incident") + ": " + place(r.incident)).addTo(layers.cordon);
    map.fitBounds(pts, { padding: [30, 30], maxZoom: 16 });
  }

  /* ---- the city-wide review ---- */
  var rform = document.getElementById("review-form");
  rform.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = new URLSearchParams(new FormData(rform)).toString();
    showError("review-error", null);
    api("GET", root.dataset.reviewUrl + "?" + q).then(showReview).catch(function (e) {
      document.getElementById("review-result").hidden = true;
      showError("review-error", e);
    });
  });
  function showReview(r) {
    var tot = r.totals;
    var line = t("review_line", { b: tot.beyond_before, a: tot.beyond_after, w1: num(tot.worst_before_min), w2: num(tot.worst_after_min), m: tot.moved, k: tot.added });
    if (tot.unreasonable.length) line += " " + t("unreasonable") + ": " + tot.unreasonable.join(", ");
    document.getElementById("review-summary").textContent = line;
    var tbody = document.querySelector("#review-result tbody");
    tbody.innerHTML = "";
    if (map) layers.review.clearLayers();
    r.districts.forEach(function (d) {
      var b = d.before, a = d.after, tr = el("tr");
      tr.appendChild(el("td", d.name));
      tr.appendChild(el("td", b.platforms + " → " + a.platforms));
      tr.appendChild(el("td", b.beyond_target + " → " + a.beyond_target, b.beyond_target ? "bad" : ""));
      tr.appendChild(el("td", num(b.worst_time_min) + " → " + num(a.worst_time_min)));
      tr.appendChild(el("td", b.workload_max + "/" + b.workload_min + " → " + a.workload_max + "/" + a.workload_min));
      tr.appendChild(el("td", b.workload_cv + " → " + a.workload_cv));
      tr.appendChild(el("td", num(b.incidents_per_platform) + " → " + num(a.incidents_per_platform)));
      var notes = d.findings.map(function (f) { return t(f.kind) + (f.value ? " " + f.value : ""); });
      if (!notes.length) notes.push(t("reasonable"));
      d.moves.forEach(function (m) { notes.push(t("moves") + " " + m.name + " " + t("to") + " " + place(m.to)); });
      if (d.added.length) notes.push(t("add") + " " + d.added.map(place).join("; "));
      if (d.needed_for_target !== null && d.needed_for_target > d.added.length) notes.push(t("needs", { k: d.needed_for_target }));
      tr.appendChild(el("td", notes.join(" · ")));
      tbody.appendChild(tr);
      if (!map) return;
      d.moves.forEach(function (m) {
        L.circleMarker([m.to.lat, m.to.lon], { radius: 7, color: "#8e24aa", weight: 3, fillOpacity: 0 })
          .bindTooltip(m.name + " · " + t("moved_here")).addTo(layers.review);
      });
      d.added.forEach(function (x) {
        L.circleMarker([x.lat, x.lon], { radius: 7, color: "#8e24aa", fillColor: "#8e24aa", fillOpacity: 0.9 })
          .bindTooltip(t("proposed") + ": " + place(x)).addTo(layers.review);
      });
    });
    document.getElementById("review-result").hidden = false;
  }
})();
