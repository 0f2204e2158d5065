/* The officer's phone: status, position (GPS or simulator), dispatch orders and appeals with a route
 * on the map, contact/landing, command group chat, and SOS (own and colleagues'). */
(function () {
  "use strict";
  var LM = window.LM, mb = LM.mapbase, t = LM.t, el = LM.el;
  var S = LM.state;
  var unit = S.unit;
  var ctx = mb.createMap("map", { compact: true, zoom: 16 });
  var pos = unit && unit.lat !== null ? { lat: unit.lat, lon: unit.lon } : null;
  var meMarker = null, navLine = null, navTarget = null, navPath = [];
  var orders = {}, appeals = {}, groupId = null;
  var mySos = null, otherSos = {};
  var live = null;
  var lastSent = 0;

  mb.drawRoads(ctx);
  mb.drawGrids(ctx, S.grids, !pos);
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/phone/sw.js", { scope: "/phone/" }).catch(function () {});
  }

  function idOf(p, key) {
    var v = p[key];
    if (v && typeof v === "object") return v.id;
    return v !== undefined ? v : p.id;
  }

  function notify(text, kind) {
    var box = document.getElementById("alert");
    box.hidden = false;
    box.className = "alert " + (kind || "");
    document.getElementById("alert-text").textContent = text;
  }
  document.getElementById("alert-close").addEventListener("click", function () { document.getElementById("alert").hidden = true; });

  // --- status -------------------------------------------------------------------------------
  function showStatus() {
    document.querySelectorAll(".ph-status button").forEach(function (b) {
      b.classList.toggle("current", !!unit && b.dataset.status === unit.status);
      b.disabled = !unit;
    });
    document.body.dataset.status = unit ? unit.status : "";
    drawMe();
  }
  document.querySelectorAll(".ph-status button").forEach(function (b) {
    b.addEventListener("click", function () {
      LM.api("PATCH", LM.url("unit_status", { id: unit.id }), { status: b.dataset.status })
        .then(function (u) { unit.status = (u && u.status) || b.dataset.status; showStatus(); })
        .catch(function (e) { notify(e.message, "error"); });
    });
  });

  // --- position -----------------------------------------------------------------------------
  function drawMe() {
    if (!pos || !unit) return;
    var icon = mb.unitIcon(unit, "me" + (mySos ? " sos" : ""));
    if (meMarker) meMarker.setLatLng([pos.lat, pos.lon]).setIcon(icon);
    else {
      meMarker = L.marker([pos.lat, pos.lon], { icon: icon, zIndexOffset: 1000 }).bindTooltip(t("you")).addTo(ctx.layers.units);
      ctx.map.setView([pos.lat, pos.lon], 16);
    }
    document.getElementById("pos").textContent = pos.lat.toFixed(5) + ", " + pos.lon.toFixed(5);
  }

  function setPosition(lat, lon, accuracy, force) {
    pos = { lat: lat, lon: lon };
    drawMe();
    var now = Date.now();
    // While an SOS is active the command centre follows every second; otherwise every 3 s.
    if (!unit || (!force && now - lastSent < (mySos ? 900 : 3000))) return;
    lastSent = now;
    var body = { lat: lat, lon: lon };
    if (accuracy) body.accuracy_m = accuracy;
    LM.api("POST", LM.url("unit_positions", { id: unit.id }), body).catch(function (e) { console.warn(e); });
  }

  var gpsWatch = null;
  document.getElementById("gps").addEventListener("change", function (ev) {
    if (ev.target.checked) {
      document.getElementById("sim").checked = false;
      stopSim();
      if (!navigator.geolocation) { notify("GPS unavailable", "error"); ev.target.checked = false; return; }
      gpsWatch = navigator.geolocation.watchPosition(
        function (p) { setPosition(p.coords.latitude, p.coords.longitude, p.coords.accuracy); },
        function (e) { notify(e.message, "error"); },
        { enableHighAccuracy: true, maximumAge: 5000 }
      );
    } else if (gpsWatch !== null) {
      navigator.geolocation.clearWatch(gpsWatch);
      gpsWatch = null;
    }
  });

  /* The simulator drives along the current navigation route at ~40 km/h (demo and tests). */
  var simTimer = null;
  var SIM_SPEED = 11; // m/s
  function stopSim() { if (simTimer) clearInterval(simTimer); simTimer = null; }
  function simStep() {
    if (!pos) return;
    var budget = SIM_SPEED;
    while (navPath.length && budget > 0) {
      var next = navPath[0];
      var d = ctx.map.distance([pos.lat, pos.lon], next);
      if (d <= budget) { pos = { lat: next[0], lon: next[1] }; navPath.shift(); budget -= d; }
      else {
        var f = budget / d;
        pos = { lat: pos.lat + (next[0] - pos.lat) * f, lon: pos.lon + (next[1] - pos.lon) * f };
        budget = 0;
      }
    }
    setPosition(pos.lat, pos.lon, 5);
  }
  document.getElementById("sim").addEventListener("change", function (ev) {
    if (ev.target.checked) {
      document.getElementById("gps").checked = false;
      if (gpsWatch !== null) { navigator.geolocation.clearWatch(gpsWatch); gpsWatch = null; }
      if (!pos) { var c = ctx.map.getCenter(); pos = { lat: c.lat, lon: c.lng }; }
      simTimer = setInterval(simStep, 1000);
      setPosition(pos.lat, pos.lon, 5, true);
    } else stopSim();
  });

  // --- navigation -----------------------------------------------------------------------------
  function navigate(lat, lon, route, colour) {
    if (navLine) ctx.layers.routes.removeLayer(navLine);
    navLine = null;
    navTarget = { lat: lat, lon: lon };
    function draw(pts) {
      navPath = pts.slice();
      navLine = mb.drawRoute(ctx, pts, colour || "#1f5fbf");
      document.body.dataset.route = navLine ? "1" : "0";
      if (navLine) ctx.map.fitBounds(navLine.getBounds(), { padding: [20, 20] });
    }
    var pts = mb.routeLatLngs(route);
    if (pts.length >= 2) { draw(pts); return; }
    if (!pos) { notify(t("no_position"), "error"); return; }
    var q = "?from=" + pos.lat + "," + pos.lon + "&to=" + lat + "," + lon;
    LM.api("GET", LM.url("route") + q)
      .then(function (r) { draw(mb.routeLatLngs(r.route || r)); })
      .catch(function () {
        // No road route (off the network, or the server could not answer): show the direction as
        // a straight line, and say so on the page rather than passing it off as a route.
        draw([[pos.lat, pos.lon], [lat, lon]]);
        document.body.dataset.route = "straight";
        notify(t("no_route"), "error");
      });
  }

  // --- dispatch orders ------------------------------------------------------------------------
  function renderOrder(o) {
    var ul = document.getElementById("orders");
    var li = ul.querySelector('[data-incident="' + o.incident + '"]');
    var node = el("li", { class: "card order", dataset: { incident: o.incident } }, [
      el("b", { text: t("order") + ": " + (o.title || "#" + o.incident) }),
      el("div", { class: "muted small", text: (o.address || "") + (o.eta_s ? " · " + t("eta") + " " + LM.fmtDuration(o.eta_s) : "") }),
      el("div", { class: "row" }, [
        el("button", { dataset: { testid: "navigate-order" }, onclick: function () { navigate(o.lat, o.lon, o.route); } }, [t("navigate")]),
        el("button", { class: o.arrived_at ? "done" : "", onclick: function (ev) { arrive(o, ev.target); } }, [t("arrived")]),
      ]),
    ]);
    if (li) ul.replaceChild(node, li); else ul.insertBefore(node, ul.firstChild);
  }

  function addOrder(o) {
    orders[o.incident] = Object.assign(orders[o.incident] || {}, o);
    renderOrder(orders[o.incident]);
    if (o.group) showGroup(o.group);
  }

  function arrive(o, button) {
    LM.api("POST", LM.url("arrival", { id: o.incident }), { unit_id: unit.id })
      .then(function () { button.classList.add("done"); unit.status = "on_scene"; showStatus(); })
      .catch(function (e) { notify(e.message, "error"); });
  }

  (S.orders || []).forEach(addOrder);

  function onDispatched(p) {
    if (!unit) return;
    // The payload names the incident (id, title, place) and the one unit this order is for.
    if (p.unit_id !== unit.id) return;
    var o = {
      incident: p.id,
      reference: p.reference,
      title: p.title,
      lat: p.lat,
      lon: p.lon,
      address: p.address || "",
      eta_s: p.eta_s,
      route: p.route,
      group: (p.incident && p.incident.command_group) || null,
    };
    addOrder(o);
    unit.status = "dispatched";
    showStatus();
    LM.beep.alarm(2);
    notify(t("order") + ": " + (o.title || "#" + o.incident), "order");
    navigate(o.lat, o.lon, o.route);
  }

  // --- appeals --------------------------------------------------------------------------------
  var OPEN = ["received", "acknowledged", "contacted", "landed", "transferred", "accepted", "returned", "reopened"];
  function renderAppeal(a) {
    var ul = document.getElementById("appeals");
    var li = ul.querySelector('[data-appeal="' + a.id + '"]');
    if (OPEN.indexOf(a.state) < 0) { if (li) ul.removeChild(li); delete appeals[a.id]; return; }
    var left = a.due_at ? (Date.parse(a.due_at) - Date.now()) / 1000 : null;
    var node = el("li", { class: "card appeal state-" + a.state, dataset: { appeal: a.id } }, [
      el("b", { text: (a.reference || "#" + a.id) + " " + (a.category || "") }),
      el("span", { class: "pill", text: t("state." + a.state) }),
      el("div", { class: "small", text: a.text || a.address || "" }),
      left === null ? null : el("div", { class: "small " + (left < 0 ? "late" : ""), text: left < 0 ? t("overdue") + " " + LM.fmtDuration(-left) : LM.fmtDuration(left) + " " + t("left") }),
      el("div", { class: "row" }, [
        el("button", { onclick: function () { navigate(a.lat, a.lon, null, "#2e7d32"); } }, [t("navigate")]),
        el("button", { dataset: { testid: "contact-" + a.id }, onclick: function (ev) { act(a, "contact", ev.target); } }, [t("mark_contacted")]),
        el("button", { dataset: { testid: "land-" + a.id }, onclick: function (ev) { act(a, "land", ev.target); } }, [t("mark_landed")]),
      ]),
    ]);
    if (li) ul.replaceChild(node, li); else ul.appendChild(node);
  }

  function upsertAppeal(a) {
    appeals[a.id] = Object.assign(appeals[a.id] || {}, a);
    if (!appeals[a.id].due_at && a.next_deadline_at) appeals[a.id].due_at = a.next_deadline_at;
    renderAppeal(appeals[a.id]);
  }

  function act(a, action, button) {
    var body = {};
    if (action === "land") {
      if (!pos) { notify(t("no_position"), "error"); return; }
      body = { lat: pos.lat, lon: pos.lon };
    }
    button.disabled = true;
    LM.api("POST", LM.url("appeal_action", { id: a.id, action: action }), body)
      .then(function (d) {
        upsertAppeal({ id: a.id, state: d.state, due_at: d.next_deadline_at });
        notify(t(action === "land" ? "landed" : "contacted") + " ✓", "ok");
      })
      .catch(function (e) { button.disabled = false; notify(e.message, "error"); });
  }

  (S.appeals || []).forEach(upsertAppeal);

  // --- command group --------------------------------------------------------------------------
  function showGroup(id) {
    if (groupId === id) return;
    groupId = id;
    // On first render the socket is not open yet; the consumer joins my groups on connect anyway.
    if (live) live.send({ action: "join", group: "cgroup." + id });
    document.getElementById("group").hidden = false;
    document.getElementById("group-log").textContent = "";
    LM.api("GET", LM.url("group_messages", { id: id })).then(function (msgs) { (msgs || []).forEach(addMessage); }).catch(function () {});
  }
  function addMessage(m) {
    var gid = m.group !== undefined ? idOf(m, "group") : groupId;
    if (gid !== groupId) { if (gid) showGroup(gid); else return; }
    var log = document.getElementById("group-log");
    if (m.id && log.querySelector('[data-msg="' + m.id + '"]')) return;
    log.appendChild(el("li", { dataset: { msg: m.id || "" }, class: m.kind ? "kind-" + m.kind : "" }, [
      el("time", { text: LM.fmtTime(m.at) }), " ", el("b", { text: ((m.author && m.author.name) || "") + "：" }), m.text || "",
    ]));
    log.scrollTop = log.scrollHeight;
  }
  document.getElementById("group-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("group-input");
    if (!input.value.trim() || !groupId) return;
    LM.api("POST", LM.url("group_messages", { id: groupId }), { text: input.value.trim() })
      .then(function (m) { input.value = ""; if (m) addMessage(m); })
      .catch(function (e) { notify(e.message, "error"); });
  });

  // --- SOS ------------------------------------------------------------------------------------
  var sosButton = document.getElementById("sos");
  sosButton.addEventListener("click", function () {
    if (mySos) return;
    // The alarm must say where: the last known position, else the map's centre (flagged in the note).
    var where = pos || { lat: ctx.map.getCenter().lat, lon: ctx.map.getCenter().lng, guessed: true };
    var body = { lat: where.lat, lon: where.lon, note: where.guessed ? "position unknown: map centre" : "" };
    sosButton.disabled = true;
    LM.api("POST", LM.url("sos"), body)
      .then(function (s) {
        mySos = s || { id: null };
        document.body.classList.add("alarm");
        sosButton.textContent = "SOS ✓";
        sosButton.classList.add("sent");
        drawMe();
        // Follow every second while the alarm is on, GPS or not.
        if (!simTimer && gpsWatch === null) simTimer = setInterval(simStep, 1000);
      })
      .catch(function (e) { sosButton.disabled = false; notify(e.message, "error"); });
  });

  function onSosRaised(p) {
    if (S.me && p.person && p.person.id === S.me) return; // my own alarm
    var id = String(p.id);
    var who = mb.personName(p) || "#" + idOf(p, "unit");
    if (!otherSos[id]) {
      otherSos[id] = { marker: L.circleMarker([p.lat, p.lon], { radius: 16, color: "#c62828", weight: 3, className: "sos-pulse" }).addTo(ctx.layers.sos) };
      LM.beep.alarm(3);
    }
    notify(t("sos_from") + " " + who, "sos");
    document.body.classList.add("alarm");
    navigate(p.lat, p.lon, null, "#c62828");
  }

  function onSosEnded(p, resolved) {
    var id = String(p.id);
    if (mySos && String(mySos.id) === id) {
      notify(t(resolved ? "resolved" : "acknowledged") + " ✓", "ok");
      document.body.dataset.sos = resolved ? "" : "acknowledged";
      if (resolved) {
        sosButton.textContent = "SOS";
        sosButton.disabled = false;
        sosButton.classList.remove("sent");
        mySos = null;
        document.body.classList.remove("alarm");
        drawMe();
      }
    }
    if (otherSos[id] && resolved) {
      ctx.layers.sos.removeLayer(otherSos[id].marker);
      delete otherSos[id];
      document.body.classList.remove("alarm");
    }
  }

  // --- websocket ------------------------------------------------------------------------------
  live = LM.connect({
    "incident.dispatched": onDispatched,
    "incident.updated": function (p) {
      var id = p.id;
      if (orders[id] && p.command_group) showGroup(p.command_group);
      if (orders[id] && p.status === "closed") {
        var li = document.querySelector('#orders [data-incident="' + id + '"]');
        if (li) li.parentNode.removeChild(li);
        delete orders[id];
      }
    },
    "unit.status": function (p) {
      if (unit && p.id === unit.id && p.status) { unit.status = p.status; showStatus(); }
    },
    "group.message": addMessage,
    "sos.raised": onSosRaised,
    "sos.position": function (p) {
      var s = otherSos[String(p.id)];
      if (s) s.marker.setLatLng([p.lat, p.lon]);
    },
    "sos.acknowledged": function (p) { onSosEnded(p, false); },
    "sos.resolved": function (p) { onSosEnded(p, true); },
    // Appeals reach this socket only through my person and grid groups: they are mine to handle.
    "appeal.created": upsertAppeal,
    "appeal.changed": upsertAppeal,
  });

  if (S.my_sos) {
    // My alarm is still open (page reloaded): keep showing it and keep following my position.
    mySos = S.my_sos;
    document.body.classList.add("alarm");
    document.body.dataset.sos = S.my_sos.status === "acknowledged" ? "acknowledged" : "raised";
    sosButton.textContent = "SOS ✓";
    sosButton.classList.add("sent");
    sosButton.disabled = true;
  }
  showStatus();
  drawMe();
})();
