/* The command centre: live map of units, incidents and appeals; incident → recommended units →
 * dispatch in one click; command groups; SOS alarms with sound; KPIs. Websocket events only. */
(function () {
  "use strict";
  var LM = window.LM, mb = LM.mapbase, t = LM.t, el = LM.el;
  var S = LM.state;
  var ctx = mb.createMap("map");
  var units = {}, incidents = {}, appeals = {}, sos = {};
  var selected = null, groupId = null, recRoutes = [];

  mb.drawRoads(ctx);
  mb.drawGrids(ctx, S.grids, true);
  drawLegend();

  // --- units ------------------------------------------------------------------------------
  function idOf(p, key) {
    var v = p[key];
    if (v && typeof v === "object") return v.id;
    return v !== undefined ? v : p.id;
  }

  function upsertUnit(u) {
    var cur = units[u.id];
    if (cur) { Object.assign(cur.data, u); u = cur.data; }
    if (u.lat === null || u.lat === undefined) return;
    var cls = "status-" + u.status + (sosForUnit(u.id) ? " sos" : "");
    if (cur && cur.marker) {
      cur.marker.setLatLng([u.lat, u.lon]).setIcon(mb.unitIcon(u, cls));
      cur.marker.setTooltipContent(mb.unitLabel(u));
    } else {
      var m = L.marker([u.lat, u.lon], { icon: mb.unitIcon(u, cls), zIndexOffset: 500 })
        .bindTooltip(mb.unitLabel(u)).addTo(ctx.layers.units);
      units[u.id] = { data: u, marker: m };
    }
    document.body.dataset.units = String(Object.keys(units).length);
  }

  function sosUnitId(s) { return s.unit && typeof s.unit === "object" ? s.unit.id : s.unit; }

  function sosForUnit(unitId) {
    return Object.keys(sos).some(function (k) { return sosUnitId(sos[k].data) === unitId; });
  }

  S.units.forEach(upsertUnit);

  // --- incidents ----------------------------------------------------------------------------
  function upsertIncident(i) {
    var cur = incidents[i.id];
    if (cur) { Object.assign(cur.data, i); i = cur.data; }
    if (i.status === "closed") {
      if (cur) { ctx.layers.incidents.removeLayer(cur.marker); delete incidents[i.id]; }
      renderIncidentList();
      if (selected === i.id) closePanel();
      return;
    }
    if (!cur) {
      var m = L.marker([i.lat, i.lon], {
        icon: L.divIcon({ className: "incident-icon", html: "<span>!</span>", iconSize: [28, 28], iconAnchor: [14, 14] }),
        zIndexOffset: 800,
      }).addTo(ctx.layers.incidents);
      m.on("click", function () { selectIncident(i.id); });
      incidents[i.id] = { data: i, marker: m };
    } else {
      cur.marker.setLatLng([i.lat, i.lon]);
    }
    incidents[i.id].marker.bindTooltip((i.title || "#" + i.id) + " — " + t("incident." + i.status));
    renderIncidentList();
    if (selected === i.id) renderPanelMeta();
  }

  function renderIncidentList() {
    var ul = document.getElementById("incidents");
    ul.textContent = "";
    Object.keys(incidents).map(function (k) { return incidents[k].data; })
      .sort(function (a, b) { return Date.parse(b.alarm_at) - Date.parse(a.alarm_at); })
      .forEach(function (i) {
        ul.appendChild(el("li", { class: "incident status-" + i.status, dataset: { incident: i.id }, onclick: function () { selectIncident(i.id); } }, [
          el("b", { text: i.title || "#" + i.id }), " ",
          el("span", { class: "pill", text: t("incident." + i.status) }), " ",
          el("time", { text: LM.fmtTime(i.alarm_at) }),
        ]));
      });
  }

  S.incidents.forEach(upsertIncident);

  function clearRecRoutes() {
    recRoutes.forEach(function (r) { ctx.layers.routes.removeLayer(r); });
    recRoutes = [];
  }

  function closePanel() {
    selected = null;
    groupId = null;
    clearRecRoutes();
    document.getElementById("incident-panel").hidden = true;
  }
  document.getElementById("incident-close").addEventListener("click", closePanel);

  function renderPanelMeta() {
    var i = incidents[selected] && incidents[selected].data;
    if (!i) return;
    document.getElementById("incident-title").textContent = i.title || "#" + i.id;
    document.getElementById("incident-meta").textContent =
      t("incident." + i.status) + (i.incident_type ? " · " + t("itype." + i.incident_type) : "") +
      " · " + LM.fmtTime(i.alarm_at) + (i.address ? " · " + i.address : "") +
      (i.description ? " · " + i.description : "");
  }

  function selectIncident(id) {
    selected = id;
    groupId = null;
    var i = incidents[id].data;
    var panel = document.getElementById("incident-panel");
    panel.hidden = false;
    panel.dataset.incident = id;
    renderPanelMeta();
    ctx.map.panTo([i.lat, i.lon]);
    document.getElementById("group").hidden = true;
    if (i.command_group) showGroup(i.command_group);
    loadRecommendations(id);
  }

  function loadRecommendations(id) {
    var ol = document.getElementById("recommendations");
    ol.textContent = "…";
    clearRecRoutes();
    LM.api("GET", LM.url("recommendations", { id: id }))
      .then(function (recs) {
        if (selected !== id) return;
        ol.textContent = "";
        if (!recs || !recs.length) { ol.appendChild(el("li", { class: "muted", text: t("no_recommendation") })); return; }
        // Rows: the fastest units by road (recommended), then units near as the crow flies that
        // were passed over, each with the reason in words.
        var k = 0;
        recs.forEach(function (r) {
          var unitId = r.unit_id !== undefined ? r.unit_id : idOf(r, "unit");
          var u = Object.assign({}, (units[unitId] && units[unitId].data) || {}, r);
          var line = r.recommended !== false ? mb.drawRoute(ctx, r.route, k++ === 0 ? "#1f5fbf" : "#90a4ae") : null;
          if (line) recRoutes.push(line);
          var who = mb.personName(u);
          ol.appendChild(el("li", { class: r.recommended === false ? "passed" : "", dataset: { unit: unitId } }, [
            el("div", { class: "rec-head" }, [
              el("b", { text: (u.code ? u.code + " " : "") + (u.name || "#" + unitId) + (who ? " · " + who : "") }),
              el("span", { class: "pill agency-" + (u.agency || ""), text: t("agency." + (u.agency || "police")) }),
            ]),
            r.eta_s !== null && r.eta_s !== undefined ?
              el("div", { class: "rec-eta", text: t("eta") + " " + LM.fmtDuration(r.eta_s) + (r.distance_m ? " · " + (r.distance_m / 1000).toFixed(2) + " " + t("km") : "") }) : null,
            r.explanation ? el("div", { class: "muted small", text: r.explanation }) : null,
            r.recommended === false ? null :
              el("button", { class: "dispatch", "data-testid": "dispatch-" + unitId, onclick: function (ev) { dispatch(id, unitId, ev.target); } }, [t("dispatch")]),
          ]));
        });
      })
      .catch(function (e) { ol.textContent = t("error") + ": " + e.message; });
  }

  function markDispatched(unitId) {
    var button = document.querySelector('#recommendations [data-unit="' + unitId + '"] button.dispatch');
    if (!button) return;
    button.disabled = true;
    button.textContent = t("dispatched_to") + " ✓";
    button.classList.add("done");
  }

  function dispatch(incidentId, unitId, button) {
    button.disabled = true;
    LM.api("POST", LM.url("dispatch", { id: incidentId }), { unit_ids: [unitId] })
      .then(function (res) {
        markDispatched(unitId);
        if (res && res.status) upsertIncident({ id: incidentId, status: res.status });
      })
      .catch(function (e) { button.disabled = false; showError(e.message); });
  }

  function showError(text) {
    feed("breach", t("error") + ": " + text, null);
  }

  // --- command group ------------------------------------------------------------------------
  document.getElementById("open-group").addEventListener("click", function () {
    if (!selected) return;
    var id = selected;
    LM.api("POST", LM.url("group_open", { id: id }), {})
      .then(function (g) {
        incidents[id].data.command_group = g.id;
        showGroup(g.id, g);
      })
      .catch(function (e) { showError(e.message); });
  });

  function showGroup(id, group) {
    groupId = id;
    live.send({ action: "join", group: "cgroup." + id });
    var box = document.getElementById("group");
    box.hidden = false;
    box.dataset.group = id;
    if (group && group.members) {
      document.getElementById("group-members").textContent = "(" + group.members.map(function (m) { return m.name || m; }).join("、") + ")";
    }
    var log = document.getElementById("group-log");
    log.textContent = "";
    LM.api("GET", LM.url("group_messages", { id: id })).then(function (msgs) {
      (msgs || []).forEach(addMessage);
    });
  }

  function addMessage(m) {
    var gid = m.group !== undefined ? idOf(m, "group") : groupId;
    if (gid !== groupId) return;
    var log = document.getElementById("group-log");
    if (m.id && log.querySelector('[data-msg="' + m.id + '"]')) return;
    log.appendChild(el("li", { dataset: { msg: m.id || "" }, class: m.kind ? "kind-" + m.kind : "" }, [
      el("time", { text: LM.fmtTime(m.at || m.created_at) }), " ",
      el("b", { text: ((m.author && m.author.name) || "") + "：" }), m.text || "",
    ]));
    log.scrollTop = log.scrollHeight;
  }

  document.getElementById("group-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("group-input");
    var text = input.value.trim();
    if (!text || !groupId) return;
    LM.api("POST", LM.url("group_messages", { id: groupId }), { text: text })
      .then(function (m) { input.value = ""; if (m) addMessage(m); })
      .catch(function (e) { showError(e.message); });
  });

  // --- appeals ------------------------------------------------------------------------------
  var OPEN = ["received", "acknowledged", "contacted", "landed", "transferred", "accepted", "returned", "reopened"];

  function upsertAppeal(a) {
    var cur = appeals[a.id];
    if (cur) { Object.assign(cur.data, a); a = cur.data; }
    if (OPEN.indexOf(a.state) < 0 || a.lat === null || a.lat === undefined) {
      if (cur) { ctx.layers.appeals.removeLayer(cur.marker); delete appeals[a.id]; }
      return;
    }
    if (!a.due_at && a.next_deadline_at) a.due_at = a.next_deadline_at;
    var colour = mb.appealColour(a, Date.now());
    if (cur) {
      cur.marker.setStyle({ color: colour, fillColor: colour });
    } else {
      var m = L.circleMarker([a.lat, a.lon], { radius: 7, color: colour, fillColor: colour, fillOpacity: 0.7, weight: 2, bubblingMouseEvents: false })
        .addTo(ctx.layers.appeals);
      appeals[a.id] = { data: a, marker: m };
    }
    appeals[a.id].marker.bindTooltip(function () {
      var d = appeals[a.id] ? appeals[a.id].data : a;
      var left = d.due_at ? (Date.parse(d.due_at) - Date.now()) / 1000 : null;
      return (d.reference || "#" + d.id) + " " + (d.category || "") + "<br>" +
        (left === null ? "" : left < 0 ? t("overdue") + " " + LM.fmtDuration(-left) : LM.fmtDuration(left) + " " + t("left"));
    });
  }

  S.appeals.forEach(upsertAppeal);
  // Colours follow the clock: recoloured locally every 30 s (no request to the server).
  setInterval(function () {
    Object.keys(appeals).forEach(function (k) {
      var c = mb.appealColour(appeals[k].data, Date.now());
      appeals[k].marker.setStyle({ color: c, fillColor: c });
    });
  }, 30000);

  // --- SOS ----------------------------------------------------------------------------------
  function raiseSos(p) {
    var id = p.id;
    var unitId = sosUnitId(p);
    var u = units[unitId] && units[unitId].data;
    var who = mb.personName(p) || (u && (mb.personName(u) || u.name)) || "#" + unitId;
    if (!sos[id]) {
      var m = L.circleMarker([p.lat, p.lon], { radius: 18, color: "#c62828", weight: 3, fillOpacity: 0.25, className: "sos-pulse", bubblingMouseEvents: false })
        .addTo(ctx.layers.sos);
      sos[id] = { data: p, marker: m, who: who };
      LM.beep.alarm(3);
      feed("sos", t("sos_from") + " " + who, null);
    }
    if (u) upsertUnit({ id: unitId });
    showSosBanner();
  }

  function showSosBanner() {
    var ids = Object.keys(sos);
    var banner = document.getElementById("sos-banner");
    if (!ids.length) { banner.hidden = true; document.body.classList.remove("alarm"); return; }
    var last = sos[ids[ids.length - 1]];
    banner.hidden = false;
    banner.dataset.sos = last.data.id;
    document.body.classList.add("alarm");
    document.getElementById("sos-text").textContent = t("sos_from") + " " + last.who + " · " + LM.fmtTime(last.data.raised_at);
    ctx.map.panTo([last.data.lat, last.data.lon]);
  }

  document.getElementById("sos-ack").addEventListener("click", function () {
    var id = document.getElementById("sos-banner").dataset.sos;
    if (!id) return;
    LM.api("POST", LM.url("sos_ack", { id: id }), {}).then(function () { dropSos(id); }).catch(function (e) { showError(e.message); });
  });

  function sosFeed(p, status) {
    var s = sos[p.id] || sos[String(p.id)];
    var who = (s && s.who) || mb.personName(p) || "";
    feed("sos-" + status, t("sos") + " " + who + "：" + t("sos." + status), null);
  }

  function dropSos(id) {
    var s = sos[id];
    if (!s) return;
    ctx.layers.sos.removeLayer(s.marker);
    delete sos[id];
    if (units[sosUnitId(s.data)]) upsertUnit({ id: sosUnitId(s.data) });
    showSosBanner();
  }

  (S.sos || []).forEach(function (s) { raiseSos(s); });

  // --- feed and KPIs ------------------------------------------------------------------------
  function feed(kind, text, ref) {
    var ul = document.getElementById("feed");
    ul.insertBefore(el("li", { class: "feed-" + kind, dataset: { kind: kind } }, [
      el("time", { text: LM.fmtTime(new Date().toISOString()) }), " ", text,
    ]), ul.firstChild);
    while (ul.children.length > 60) ul.removeChild(ul.lastChild);
    void ref;
  }

  var charts = null;
  function renderKpis(k) {
    document.getElementById("kpi-received").textContent = k.appeals_received;
    document.getElementById("kpi-ontime").textContent = k.landed_on_time;
    document.getElementById("kpi-late").textContent = k.met_late;
    document.getElementById("kpi-overdue").textContent = k.overdue;
    document.getElementById("kpi-incidents").textContent = k.incidents;
    document.getElementById("kpi-response").textContent = LM.fmtDuration(k.response_median_s);
    if (!window.echarts) return;
    if (!charts) {
      charts = { hourly: echarts.init(document.getElementById("chart-hourly")), resp: echarts.init(document.getElementById("chart-response")) };
      window.addEventListener("resize", function () { charts.hourly.resize(); charts.resp.resize(); });
    }
    var hours = []; for (var h = 0; h < 24; h++) hours.push(h + "");
    var axisName = { fontSize: 10, color: "#6b7785" };
    charts.hourly.setOption({
      animation: false,
      title: { text: t("chart_today"), textStyle: { fontSize: 12 }, left: 0, top: 0 },
      grid: { left: 40, right: 8, top: 42, bottom: 32 },
      legend: { top: 20, left: 0, textStyle: { fontSize: 10 }, itemWidth: 10, itemHeight: 8 },
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category", data: hours, axisLabel: { fontSize: 10 },
        name: t("axis_hour"), nameLocation: "middle", nameGap: 18, nameTextStyle: axisName,
      },
      yAxis: {
        type: "value", minInterval: 1, axisLabel: { fontSize: 10 },
        name: t("axis_count"), nameLocation: "middle", nameRotate: 90, nameGap: 22, nameTextStyle: axisName,
      },
      series: [
        { name: t("appeals_per_hour"), type: "bar", data: k.appeals_by_hour, itemStyle: { color: "#1f5fbf" } },
        { name: t("incidents_per_hour"), type: "bar", data: k.incidents_by_hour, itemStyle: { color: "#c62828" } },
      ],
    });
    charts.resp.setOption({
      animation: false,
      title: { text: t("response_times"), textStyle: { fontSize: 12 }, left: 0, top: 0 },
      grid: { left: 40, right: 8, top: 42, bottom: 32 },
      tooltip: {},
      xAxis: {
        type: "category", data: k.response_times_s.map(function (_, i) { return i + 1; }), axisLabel: { show: false },
        name: t("axis_incident"), nameLocation: "middle", nameGap: 12, nameTextStyle: axisName,
      },
      yAxis: {
        type: "value", axisLabel: { fontSize: 10 },
        name: t("axis_minutes"), nameLocation: "middle", nameRotate: 90, nameGap: 22, nameTextStyle: axisName,
      },
      series: [{ name: t("response_time"), type: "bar", data: k.response_times_s.map(function (s) { return +(s / 60).toFixed(1); }), itemStyle: { color: "#7b1fa2" } }],
    });
    // What the charts say, for tests and screen readers (the canvas itself is not text).
    document.getElementById("chart-hourly").setAttribute("aria-label", t("chart_today") + " (" + t("axis_hour") + " / " + t("axis_count") + ")");
    document.getElementById("chart-response").setAttribute("aria-label", t("response_times") + " (" + t("axis_incident") + " / " + t("axis_minutes") + ")");
  }
  renderKpis(S.kpis);

  var kpiTimer = null;
  function refreshKpis() {
    // Re-read after an event that changes a figure, at most once per 2 s (event-driven, no polling).
    if (kpiTimer) return;
    kpiTimer = setTimeout(function () {
      kpiTimer = null;
      LM.api("GET", LM.url("kpis")).then(renderKpis).catch(function () {});
    }, 2000);
  }

  /* The map's legend: what the colours and marks of units, appeals and incidents mean. */
  function drawLegend() {
    var box = document.getElementById("legend");
    function group(key, items) {
      box.appendChild(el("div", { class: "lg-group", dataset: { legend: key } }, [el("b", { text: t("legend." + key) })].concat(items)));
    }
    function dot(colour, label, cls) {
      return el("span", { class: "lg" }, [el("i", { class: cls || "", style: "background:" + colour }), label]);
    }
    group("units", Object.keys(mb.STATUS_COLOURS).map(function (s) { return dot(mb.STATUS_COLOURS[s], t("status." + s)); }));
    group("agencies", Object.keys(mb.AGENCY).map(function (a) {
      return el("span", { class: "lg" }, [el("i", { class: "ag", style: "border-color:" + mb.AGENCY[a].colour, text: mb.AGENCY[a].letter }), t("agency." + a)]);
    }));
    group("appeals", ["plenty", "half", "quarter", "overdue", "none"].map(function (k) {
      return dot(mb.APPEAL_COLOURS[k], t("appeal_left." + k), "ring");
    }));
    group("marks", [
      el("span", { class: "lg" }, [el("i", { class: "inc", text: "!" }), t("legend.incident")]),
      el("span", { class: "lg" }, [el("i", { class: "sos" }), t("sos")]),
      el("span", { class: "lg" }, [el("i", { class: "grid" }), t("legend.grid")]),
    ]);
  }

  // --- a new incident from the map ----------------------------------------------------------
  // A click on the map (not on a marker) opens a small form there; the incident is created through
  // the incidents API and selected, so its recommended units show at once.
  ctx.map.on("click", function (e) { openNewIncident(e.latlng); });

  function openNewIncident(ll) {
    var type = el("select", { name: "incident_type", "data-testid": "new-incident-type" },
      [el("option", { value: "", text: t("itype.unset") })].concat((LM.config.incident_types || []).map(function (pair) {
        return el("option", { value: pair[0], text: pair[1] });
      })));
    var error = el("p", { class: "error", role: "alert", "data-testid": "new-incident-error" });
    error.hidden = true;
    var submit = el("button", { type: "submit", "data-testid": "new-incident-create" }, [t("create_incident")]);
    var form = el("form", { class: "new-incident", "data-testid": "new-incident-form" }, [
      el("h4", { text: t("new_incident_here") }),
      el("label", {}, [t("field.title"), el("input", { name: "title", required: "required", maxlength: "200", autocomplete: "off", "data-testid": "new-incident-title" })]),
      el("label", {}, [t("field.type"), type]),
      el("label", {}, [t("field.description"), el("textarea", { name: "description", rows: "2", "data-testid": "new-incident-description" })]),
      error,
      el("div", { class: "row" }, [submit]),
    ]);
    var popup = L.popup({ minWidth: 240, maxWidth: 300 }).setLatLng(ll).setContent(form).openOn(ctx.map);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new FormData(form);
      submit.disabled = true;
      error.hidden = true;
      LM.api("POST", LM.url("incidents"), {
        title: String(data.get("title") || "").trim(),
        incident_type: String(data.get("incident_type") || ""),
        description: String(data.get("description") || "").trim(),
        lat: +ll.lat.toFixed(6),
        lon: +ll.lng.toFixed(6),
      }).then(function (inc) {
        ctx.map.closePopup(popup);
        upsertIncident(inc);
        selectIncident(inc.id);
      }).catch(function (e) {
        submit.disabled = false;
        error.textContent = t("error") + ": " + e.message;
        error.hidden = false;
      });
    });
    setTimeout(function () { var first = form.querySelector("input"); if (first) first.focus(); }, 0);
  }

  // --- the websocket ------------------------------------------------------------------------
  var live = LM.connect({
    "unit.position": function (p) { upsertUnit(Object.assign({}, p, { id: idOf(p, "unit") })); },
    "unit.status": function (p) { upsertUnit(Object.assign({}, p, { id: idOf(p, "unit") })); },
    "unit.created": function (p) { upsertUnit(p); },
    "incident.created": function (p) {
      upsertIncident(Object.assign({}, p, { id: idOf(p, "incident") }));
      feed("incident", t("new_incident") + ": " + (p.title || "#" + p.id), p.id);
      LM.beep.alarm(1);
      refreshKpis();
    },
    "incident.updated": function (p) { upsertIncident(Object.assign({}, p, { id: idOf(p, "incident") })); refreshKpis(); },
    "incident.dispatched": function (p) {
      var id = p.id;
      upsertIncident({ id: id, status: p.status || "dispatched" });
      if (selected === id) markDispatched(p.unit_id);
      feed("incident", t("dispatched_to") + " " + ((units[p.unit_id] && units[p.unit_id].data.code) || "#" + p.unit_id) + " → " + (p.title || "#" + id), id);
      refreshKpis();
    },
    "group.message": addMessage,
    "sos.raised": raiseSos,
    "sos.position": function (p) {
      var s = sos[p.id] || sos[idOf(p, "sos")];
      if (s) { s.marker.setLatLng([p.lat, p.lon]); Object.assign(s.data, { lat: p.lat, lon: p.lon }); }
      var unitId = sosUnitId(p);
      if (units[unitId]) upsertUnit({ id: unitId, lat: p.lat, lon: p.lon });
    },
    // An acknowledged alarm is being handled (已确认/处置中), not over: the feed keeps both apart.
    "sos.acknowledged": function (p) { sosFeed(p, "acknowledged"); dropSos(String(p.id)); },
    "sos.resolved": function (p) { sosFeed(p, "resolved"); dropSos(String(p.id)); },
    "appeal.created": function (p) {
      upsertAppeal(p);
      feed("appeal", t("new_appeal") + ": " + (p.reference || "") + " " + (p.category || ""), p.id);
      refreshKpis();
    },
    "appeal.changed": function (p) { upsertAppeal(p); refreshKpis(); },
    "clock.warning": function (p) { feed("warning", t("warning") + ": " + (p.reference || "#" + p.appeal), p.appeal); },
    "clock.breached": function (p) {
      var a = appeals[p.appeal];
      if (a) upsertAppeal({ id: p.appeal, breached: true });
      feed("breach", t("breached") + ": " + (p.reference || "#" + p.appeal), p.appeal);
      refreshKpis();
    },
  });
})();
