// The dashboards' charts (Apache ECharts, drawn from the specs stats.dashboards built) and sortable
// tables. Without JavaScript the page still shows every figure: the tables are plain tables.
(function () {
  "use strict";

  var specs = JSON.parse(document.getElementById("dash-charts").textContent);
  var charts = [];

  function axisName(name) {
    return { name: name, nameLocation: "middle", nameGap: 36 };
  }

  function withUnit(unit) {
    return unit ? { formatter: "{value}" + unit } : {};
  }

  function option(spec) {
    var base = {
      title: { text: spec.title, left: "center", top: 4, textStyle: { fontSize: 14 } },
      tooltip: { trigger: spec.kind === "heatmap" ? "item" : "axis" },
      grid: { left: 70, right: 70, top: 60, bottom: 60, containLabel: true },
    };
    if (spec.kind === "heatmap") {
      var max = 1;
      spec.series[0].data.forEach(function (c) { if (c[2] > max) { max = c[2]; } });
      base.xAxis = Object.assign(axisName(spec.x_label), { type: "category", data: spec.categories });
      base.yAxis = Object.assign(axisName(spec.y_label), { type: "category", data: spec.y_categories, nameGap: 56 });
      base.visualMap = { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0 };
      base.grid.bottom = 80;
      base.series = [{ name: spec.series[0].name, type: "heatmap", data: spec.series[0].data }];
      return base;
    }
    if (spec.kind === "bar") {
      // A ranking: one horizontal bar per row of the table, the first row on top.
      // The category axis names its rows at its top end: beside the bars it would cover long names.
      base.yAxis = Object.assign(axisName(spec.x_label), { type: "category", data: spec.categories.slice().reverse(), nameLocation: "end", nameGap: 12 });
      // Counts step by whole numbers; rates are percentages.
      base.xAxis = Object.assign(axisName(spec.y_label), { type: "value", axisLabel: withUnit(spec.unit), minInterval: spec.unit ? 0 : 1 });
      base.series = spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data.slice().reverse() };
      });
      return base;
    }
    base.legend = { top: 32 };
    base.grid.top = 84;
    base.xAxis = Object.assign(axisName(spec.x_label), { type: "category", data: spec.categories });
    base.yAxis = [Object.assign(axisName(spec.y_label), { type: "value", nameGap: 46, minInterval: 1 })];
    if (spec.right_label) {
      base.yAxis.push(Object.assign(axisName(spec.right_label), { type: "value", min: 0, max: 100, axisLabel: withUnit("%"), nameGap: 46 }));
    }
    base.series = spec.series.map(function (s) {
      return { name: s.name, type: s.type, data: s.data, yAxisIndex: s.right ? 1 : 0, connectNulls: true };
    });
    return base;
  }

  if (window.echarts) {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el);
      chart.setOption(option(specs[Number(el.getAttribute("data-chart"))]));
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.setAttribute("data-charts", String(charts.length));
  }

  // Sortable tables: each heading becomes a button; aria-sort says how the table is sorted.
  // Numbers (data-sort) sort biggest first on the first click, names alphabetically; figures that
  // are undefined ("—") stay last either way.
  function sortTable(table, index, th) {
    var numeric = th.getAttribute("data-kind") !== "text";
    var current = th.getAttribute("aria-sort");
    var dir = current === "none" || !current ? (numeric ? "descending" : "ascending") : current === "descending" ? "ascending" : "descending";
    Array.prototype.forEach.call(th.parentNode.cells, function (cell) { cell.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.filter.call(body.rows, function (r) { return r.cells.length > index && r.cells.length > 1; });
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = a.cells[index], y = b.cells[index];
      if (numeric) {
        var u = x.getAttribute("data-sort"), v = y.getAttribute("data-sort");
        if (u === "" || v === "") { return (u === "") - (v === ""); }
        return sign * (Number(u) - Number(v));
      }
      return sign * x.textContent.trim().localeCompare(y.textContent.trim(), document.documentElement.lang || "zh");
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { sortTable(table, index, th); });
    });
  });
})();
