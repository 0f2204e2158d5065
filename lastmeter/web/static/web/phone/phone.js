/* The officer's phone: status, position (GPS or simulator), dispatch orders and appeals with a route
 * on the map, the appeal's own steps (acknowledge, contact, land, resolve, call the reporter), command
 * group chat, and SOS (held to send; own and colleagues'). */
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
  // Each appeal row carries `actions` (what the server's available_actions allows this viewer
  // now) and `can_call_reporter`; the phone offers exactly those, never a button it would refuse.
  var OPEN = ["received", "acknowledged", "contacted", "landed", "transferred", "accepted", "returned", "reopened"];
  var PHONE_ACTIONS = ["acknowledge", "contact", "land", "resolve"];
  var ACTION_LABEL = { acknowledge: "do_acknowledge", contact: "mark_contacted", land: "mark_landed", resolve: "do_resolve" };
  var ACTION_DONE = { acknowledge: "state.acknowledged", contact: "state.contacted", land: "state.landed", resolve: "state.resolved" };

  function appealButtons(a) {
    var buttons = [el("button", { class: "secondary", onclick: function () { navigate(a.lat, a.lon, null, "#2e7d32"); } }, [t("navigate")])];
    if (a.lat === null || a.lat === undefined) buttons[0].disabled = true;
    PHONE_ACTIONS.forEach(function (action) {
      if ((a.actions || []).indexOf(action) < 0) return;
      buttons.push(el("button", {
        class: "act act-" + action,
        dataset: { testid: action + "-" + a.id, action: action },
        onclick: function (ev) {
          if (action === "resolve") toggleResolve(a);
          else act(a, action, {}, ev.target);
        },
      }, [t(ACTION_LABEL[action])]));
    });
    if (a.can_call_reporter) {
      buttons.push(el("button", { class: "call", dataset: { testid: "call-" + a.id }, onclick: function (ev) { callReporter(a, ev.target); } }, [t("call")]));
    }
    return buttons;
  }

  function renderAppeal(a) {
    var ul = document.getElementById("appeals");
    var li = ul.querySelector('[data-appeal="' + a.id + '"]');
    // A finished appeal leaves the list; its record stays, so a late, older answer cannot bring it back.
    if (OPEN.indexOf(a.state) < 0) { if (li) ul.removeChild(li); return; }
    var due = a.due_at || a.next_deadline_at;
    // Re-render only when something shown changed: an officer typing a resolution keeps the form.
    var sig = JSON.stringify([a.state, a.actions, a.can_call_reporter, due, a.text, a.reporter, a.category, a.reference]);
    if (li && li.dataset.sig === sig) return;
    var left = due ? (Date.parse(due) - Date.now()) / 1000 : null;
    var node = el("li", { class: "card appeal state-" + a.state, dataset: { appeal: a.id, state: a.state, sig: sig } }, [
      el("div", { class: "card-head" }, [
        el("b", { text: (a.reference || "#" + a.id) + " " + (a.category || "") }),
        el("span", { class: "pill", dataset: { testid: "state-" + a.id }, text: t("state." + a.state) }),
      ]),
      el("div", { class: "small", text: a.text || a.address || "" }),
      a.reporter ? el("div", { class: "small muted", text: t("reporter") + ": " + a.reporter }) : null,
      left === null ? null : el("div", { class: "small " + (left < 0 ? "late" : ""), text: left < 0 ? t("overdue") + " " + LM.fmtDuration(-left) : LM.fmtDuration(left) + " " + t("left") }),
      el("div", { class: "row actions" }, appealButtons(a)),
      el("form", { class: "resolve", hidden: "hidden", dataset: { testid: "resolve-form-" + a.id } }, [
        el("textarea", { name: "resolution", required: "required", rows: "3", maxlength: "2000", placeholder: t("resolution_hint"), dataset: { testid: "resolution-" + a.id } }),
        el("button", { type: "submit", dataset: { testid: "resolve-submit-" + a.id } }, [t("submit_resolution")]),
      ]),
      el("div", { class: "call-out", hidden: "hidden" }),
      el("div", { class: "card-msg small", hidden: "hidden", dataset: { testid: "msg-" + a.id } }),
      el("a", { class: "small more", href: LM.url("appeal_page", { id: a.id }) }, [t("details")]),
    ]);
    var form = node.querySelector("form.resolve");
    if (a.resolving && (a.actions || []).indexOf("resolve") >= 0) {
      form.hidden = false;
      form.elements.resolution.value = a.draft || "";
    }
    form.elements.resolution.addEventListener("input", function (ev) { appeals[a.id].draft = ev.target.value; });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = ev.target.elements.resolution.value.trim();
      if (!text) { ev.target.elements.resolution.focus(); return; }
      act(a, "resolve", { resolution: text }, ev.target.querySelector("button"));
    });
    var old = appeals[a.id] && appeals[a.id].callOut;
    if (old) { var box = node.querySelector(".call-out"); box.hidden = false; box.appendChild(old); }
    if (li) ul.replaceChild(node, li); else ul.appendChild(node);
  }

  function cardOf(id) { return document.querySelector('#appeals [data-appeal="' + id + '"]'); }

  function cardMessage(id, text, kind) {
    var card = cardOf(id);
    if (!card) return;
    var box = card.querySelector(".card-msg");
    box.hidden = !text;
    box.className = "card-msg small " + (kind || "");
    box.textContent = text || "";
  }

  function toggleResolve(a) {
    var card = cardOf(a.id);
    if (!card) return;
    var form = card.querySelector("form.resolve");
    form.hidden = !form.hidden;
    appeals[a.id].resolving = !form.hidden;
    if (!form.hidden) form.elements.resolution.focus();
  }

  function upsertAppeal(a) {
    var known = appeals[a.id] || {};
    // Answers can cross (an event's re-read may land after a newer action's answer): keep the newest.
    if (known.updated_at && a.updated_at && Date.parse(a.updated_at) < Date.parse(known.updated_at)) return;
    appeals[a.id] = Object.assign(known, a);
    if (a.next_deadline_at !== undefined) appeals[a.id].due_at = a.next_deadline_at;
    renderAppeal(appeals[a.id]);
  }

  /* The websocket says an appeal changed; what this viewer may do now is per viewer, so the row is
   * read again from the API (one request per event, never polled). */
  function refreshAppeal(p) {
    LM.api("GET", LM.url("appeal", { id: p.id }))
      .then(function (d) { upsertAppeal(d); })
      .catch(function (e) {
        if (e.status === 404 && appeals[p.id]) { upsertAppeal({ id: p.id, state: "gone" }); }
      });
  }

  /* Landing needs a fresh position: from GPS when it is on, else the simulator's or the unit's. */
  function withPosition(done) {
    if (gpsWatch !== null && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(
        function (p) {
          setPosition(p.coords.latitude, p.coords.longitude, p.coords.accuracy);
          done({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy });
        },
        function () { if (pos) done({ lat: pos.lat, lon: pos.lon }); else notify(t("no_position"), "error"); },
        { enableHighAccuracy: true, maximumAge: 0, timeout: 15000 }
      );
      return;
    }
    if (!pos) { notify(t("no_position"), "error"); return; }
    done({ lat: pos.lat, lon: pos.lon });
  }

  function act(a, action, body, button) {
    if (action === "land" && body.lat === undefined) {
      withPosition(function (p) { act(a, action, p, button); });
      return;
    }
    button.disabled = true;
    LM.api("POST", LM.url("appeal_action", { id: a.id, action: action }), body)
      .then(function (d) {
        upsertAppeal(d);
        cardMessage(a.id, "");
        notify(t(ACTION_DONE[action]) + " ✓ " + (d.reference || ""), "ok");
      })
      .catch(function (e) {
        button.disabled = false;
        cardMessage(a.id, e.message, "error");
        notify(e.message, "error");
      });
  }

  /* Call the reporter: the full number is revealed (and the reveal logged) only on this press,
   * then offered as a tel: link; the list keeps the masked number. */
  function callReporter(a, button) {
    button.disabled = true;
    LM.api("POST", LM.url("reveal_phone", { id: a.id }), { reason: t("call_reason") })
      .then(function (r) {
        var link = el("a", { class: "tel", href: r.tel, dataset: { testid: "tel-" + a.id } }, [t("dial") + " " + r.phone]);
        appeals[a.id].callOut = link;
        var card = cardOf(a.id);
        if (card) { var box = card.querySelector(".call-out"); box.hidden = false; box.textContent = ""; box.appendChild(link); }
        button.disabled = false;
      })
      .catch(function (e) { button.disabled = false; cardMessage(a.id, e.message, "error"); notify(e.message, "error"); });
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
  // A deliberate press: the alarm goes only after the button was held for HOLD_MS, with the ring
  // filling meanwhile; letting go earlier cancels. The bar sits below the content, covering nothing.
  var HOLD_MS = 1500;
  var sosButton = document.getElementById("sos");
  var sosState = document.getElementById("sos-state");
  var sosSafe = document.getElementById("sos-safe");
  var hold = null;

  function setHold(state, progress) {
    var was = sosButton.dataset.hold;
    sosButton.dataset.hold = state;
    sosButton.style.setProperty("--p", String(progress || 0));
    if (state === "holding" && was !== "holding") sosState.textContent = t("sos_holding");
    if (state === "idle" && was === "holding") sosState.textContent = t("sos_hint");
  }

  function startHold(ev) {
    if (mySos || hold || sosButton.disabled) return;
    if (ev && ev.preventDefault) ev.preventDefault();
    var started = performance.now();
    // The timer sends; the animation frames only draw the ring (they may be throttled).
    hold = { raf: 0, timer: setTimeout(function () { hold && cancelAnimationFrame(hold.raf); hold = null; raiseSos(); }, HOLD_MS) };
    setHold("holding", 0);
    function tick(now) {
      if (!hold) return;
      setHold("holding", Math.min(1, (now - started) / HOLD_MS));
      hold.raf = requestAnimationFrame(tick);
    }
    hold.raf = requestAnimationFrame(tick);
  }

  function cancelHold() {
    if (!hold) return;
    clearTimeout(hold.timer);
    cancelAnimationFrame(hold.raf);
    hold = null;
    setHold("idle", 0);
  }

  sosButton.addEventListener("pointerdown", startHold);
  ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) { sosButton.addEventListener(name, cancelHold); });
  sosButton.addEventListener("keydown", function (ev) { if ((ev.key === " " || ev.key === "Enter") && !ev.repeat) startHold(ev); });
  sosButton.addEventListener("keyup", function (ev) { if (ev.key === " " || ev.key === "Enter") cancelHold(); });
  sosButton.addEventListener("contextmenu", function (ev) { ev.preventDefault(); }); // a long press is not a menu
  sosButton.addEventListener("click", function (ev) { ev.preventDefault(); }); // a click alone never raises

  function showMySos(status) {
    document.body.dataset.sos = status || "";
    sosState.textContent = status ? t("sos." + status) : t("sos_hint");
    sosState.className = "sos-state" + (status ? " " + status : "");
    sosSafe.hidden = !status;
    sosButton.disabled = !!status;
    sosButton.classList.toggle("sent", !!status);
    sosButton.textContent = status ? "SOS ✓" : "SOS";
    document.body.classList.toggle("alarm", !!status);
  }

  function raiseSos() {
    // The alarm must say where: the last known position, else the map's centre (flagged in the note).
    var where = pos || { lat: ctx.map.getCenter().lat, lon: ctx.map.getCenter().lng, guessed: true };
    var body = { lat: where.lat, lon: where.lon, note: where.guessed ? "position unknown: map centre" : "" };
    setHold("sending", 1);
    sosButton.disabled = true;
    LM.api("POST", LM.url("sos"), body)
      .then(function (s) {
        mySos = s || { id: null };
        setHold("sent", 1);
        showMySos((s && s.status) || "raised");
        drawMe();
        // Follow every second while the alarm is on, GPS or not.
        if (!simTimer && gpsWatch === null) simTimer = setInterval(simStep, 1000);
      })
      .catch(function (e) { setHold("idle", 0); sosButton.disabled = false; notify(e.message, "error"); });
  }

  sosSafe.addEventListener("click", function () {
    if (!mySos || !mySos.id || !window.confirm(t("sos_end_confirm"))) return;
    var id = mySos.id; // the socket's "sos.resolved" may arrive before this answer
    LM.api("POST", LM.url("sos_resolve", { id: id }), { note: "" })
      .then(function () { onSosEnded({ id: id }, true); })
      .catch(function (e) { notify(e.message, "error"); });
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
      // Acknowledged means help is coming (已确认/处置中), not that the danger is over.
      notify(t(resolved ? "sos.resolved" : "sos.acknowledged"), resolved ? "ok" : "sos");
      if (resolved) {
        mySos = null;
        setHold("idle", 0);
        showMySos("");
        drawMe();
      } else {
        showMySos("acknowledged");
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
    "appeal.created": refreshAppeal,
    "appeal.changed": refreshAppeal,
  });

  if (S.my_sos) {
    // My alarm is still open (page reloaded): keep showing it and keep following my position.
    mySos = S.my_sos;
    setHold("sent", 1);
    showMySos(S.my_sos.status === "acknowledged" ? "acknowledged" : "raised");
  } else {
    setHold("idle", 0);
    showMySos("");
  }
  showStatus();
  drawMe();
})();
