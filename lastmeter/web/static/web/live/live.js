/* lastmeter live pages: configuration, the websocket (events only, no polling), the API helper.
 *
 * The page renders two JSON blocks: #lm-config (endpoints, translated strings, tile URL) and
 * #lm-state (the initial state). Everything afterwards arrives as websocket events
 * {event, payload}; writes go to /api/v1 with the session cookie and the CSRF header.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  var config = readJSON("lm-config");
  var state = readJSON("lm-state");

  function t(key) {
    return (config.strings && config.strings[key]) || key;
  }

  function url(name, params) {
    var u = config.endpoints[name];
    Object.keys(params || {}).forEach(function (k) {
      u = u.replace("{" + k + "}", encodeURIComponent(params[k]));
    });
    return u;
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* fetch JSON; rejects with {status, detail} on HTTP errors so callers can show the message. */
  function api(method, path, body) {
    var opts = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
        if (!r.ok) {
          var err = new Error((data && data.detail) || r.statusText);
          err.status = r.status;
          err.data = data;
          throw err;
        }
        return data;
      });
    });
  }

  /* One websocket with reconnect and back-off. `handlers[event](payload)`; "*" sees everything. */
  function connect(handlers) {
    var ws = null;
    var delay = 500;
    var queue = [];
    var indicator = document.getElementById("conn");

    function setConn(on) {
      if (!indicator) return;
      indicator.textContent = on ? t("connected") : t("disconnected");
      indicator.className = "conn " + (on ? "on" : "off");
      document.body.dataset.live = on ? "1" : "0";
    }

    function open() {
      var proto = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(proto + location.host + config.ws);
      ws.onopen = function () {
        delay = 500;
        queue.splice(0).forEach(function (m) { ws.send(m); });
      };
      ws.onmessage = function (ev) {
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (msg.event === "hello") setConn(true);
        var h = handlers[msg.event];
        if (h) {
          try { h(msg.payload || {}, msg.event); } catch (e) { console.error(e); }
        }
        if (handlers["*"]) handlers["*"](msg.payload || {}, msg.event);
      };
      ws.onclose = function (ev) {
        setConn(false);
        if (ev.code === 4401 || ev.code === 4403) return; // not allowed: retrying will not help
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
        if (handlers.reconnect) handlers.reconnect();
      };
    }

    open();
    return {
      send: function (obj) {
        var m = JSON.stringify(obj);
        if (ws && ws.readyState === 1) ws.send(m); else queue.push(m);
      },
    };
  }

  function fmtDuration(s) {
    if (s === null || s === undefined || isNaN(s)) return "–";
    s = Math.round(s);
    var neg = s < 0;
    s = Math.abs(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var out = h ? h + "h" + String(m).padStart(2, "0") + "m" : m ? m + "m" + String(sec).padStart(2, "0") + "s" : sec + "s";
    return (neg ? "-" : "") + out;
  }

  function fmtTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else if (k === "dataset") Object.assign(node.dataset, attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  window.LM = {
    config: config,
    state: state,
    t: t,
    url: url,
    api: api,
    connect: connect,
    fmtDuration: fmtDuration,
    fmtTime: fmtTime,
    el: el,
  };
})();
