// The command centre's "on post now" panel: who staffs which duty post at this moment, from
// /api/v1/duty/on-post, refreshed every minute (shifts change on the hour, not by the second).
(function () {
  "use strict";
  const list = document.getElementById("on-post");
  if (!list) return;

  function show(rows) {
    list.replaceChildren();
    if (!rows.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = list.dataset.empty;
      list.appendChild(li);
      return;
    }
    for (const r of rows) {
      const li = document.createElement("li");
      li.dataset.post = r.post;
      li.textContent = [r.post_name, r.person, r.agency, r.unit, "→" + r.until].filter(Boolean).join(" · ");
      list.appendChild(li);
    }
  }

  function load() {
    fetch(list.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : []))
      .then(show)
      .catch(() => show([]));
  }

  load();
  setInterval(load, 60000);
})();
