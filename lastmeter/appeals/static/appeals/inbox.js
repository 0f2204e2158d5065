/* The department inbox follows the websocket: when a transfer arrives (transfer.new) or one of
 * the department's transfers changes (transfer.changed, deadline warnings and breaches), the
 * table is fetched again from the server (?part=rows) and swapped in; nothing is polled. */
(function () {
  "use strict";
  var box = document.getElementById("inbox");
  var news = document.getElementById("inbox-news");
  if (!box || !window.LM) return;
  var pending = null;

  function busy() {
    // Do not throw away what the liaison is typing into a reason or outcome field.
    var el = document.activeElement;
    return el && box.contains(el) && el.tagName === "INPUT" && el.value;
  }

  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      if (busy()) { refresh(); return; }
      fetch(box.dataset.rows, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          box.innerHTML = html;
          box.dataset.version = String(Number(box.dataset.version || 0) + 1);
          document.dispatchEvent(new Event("lm:inbox"));
        })
        .catch(function () {});
    }, 200);
  }

  function announce(text) {
    news.textContent = text;
    news.hidden = false;
  }

  LM.connect({
    "transfer.new": function (p) {
      announce(LM.t("new_transfer") + " " + (p.reference || ""));
      refresh();
    },
    "transfer.changed": refresh,
    "clock.warning": refresh,
    "clock.breached": refresh,
    reconnect: refresh,
  });
})();
