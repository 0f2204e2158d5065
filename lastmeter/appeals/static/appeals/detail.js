/* The appeal page's person picker: as the dispatcher types a name (or a grid's name), the list
 * of people they may assign is fetched from /api/v1/appeals/<id>/assignable and refilled.
 * Without JavaScript the search form reloads the page with ?who=… and the same list. */
(function () {
  "use strict";
  var picker = document.querySelector("[data-testid='assign-picker']");
  if (!picker) return;
  var search = picker.querySelector("input[name='who']");
  var role = picker.querySelector("select[name='role']");
  var select = picker.querySelector("select[name='person']");
  var endpoint = picker.dataset.endpoint;
  var timer = null;
  var seq = 0;

  function label(p) {
    var parts = [p.name];
    if (p.roles.length) parts.push(p.roles.join("、"));
    if (p.grids.length) parts.push(p.grids.join("、"));
    else if (p.units.length) parts.push(p.units.join("、"));
    return parts.join(" · ");
  }

  function refill(people) {
    select.innerHTML = "";
    people.forEach(function (p) {
      var o = document.createElement("option");
      o.value = p.id;
      o.textContent = label(p);
      select.appendChild(o);
    });
    if (!people.length) {
      var none = document.createElement("option");
      none.value = "";
      none.disabled = true;
      none.textContent = picker.dataset.none || "—";
      select.appendChild(none);
    }
    select.size = Math.min(Math.max(people.length, 1), 6) + (people.length > 6 ? 0 : 1);
    picker.dataset.loaded = String(++seq);
  }

  function load() {
    var q = "?q=" + encodeURIComponent(search.value.trim()) + (role.value ? "&role=" + encodeURIComponent(role.value) : "");
    fetch(endpoint + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(refill)
      .catch(function () { /* the search button still works without the live list */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  }

  search.addEventListener("input", later);
  role.addEventListener("change", later);
  picker.querySelector("form.picker-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    load();
  });
})();
