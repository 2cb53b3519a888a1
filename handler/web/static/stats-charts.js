// The charts of 考核统计 (/h5/admin/stats), drawn with Apache ECharts
// (echarts.min.js, loaded before this file) from the JSON API. Progressive
// enhancement: without script the section stays hidden and the tables
// above and below it are the page.
//
// The Content-Security-Policy allows no inline style attributes: the
// canvas renderer and rich-text tooltips draw everything on the canvas,
// and ECharts' own sizing goes through element.style, which the policy
// does not restrict.
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || !window.echarts || !window.fetch) return;
  root.hidden = false;

  var red = "#d8232a", blue = "#2f6fb3", grey = "#7f7f7f";
  var period = { from: root.getAttribute("data-from"), to: root.getAttribute("data-to") };

  function api(path, params) {
    var q = Object.keys(params).filter(function (k) { return params[k]; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch("/api/v1" + path + (q ? "?" + q : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error(body.message || "加载失败（" + r.status + "）");
          return body.data;
        });
      });
  }

  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  // drawn marks a chart as rendered (data-trend / data-rank on the
  // section) once ECharts has finished, for tests and for the curious.
  function draw(c, option, mark) {
    root.removeAttribute("data-" + mark);
    c.off("finished");
    c.on("finished", function () { root.setAttribute("data-" + mark, "drawn"); });
    c.setOption(option, true);
  }

  function status(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text || "";
  }

  var tooltip = { trigger: "axis", renderMode: "richText", confine: true };
  var grid = { left: 8, right: 8, top: 40, bottom: 8, containLabel: true };

  // ---- the trend -------------------------------------------------------

  var trendChart = chartOn("trend-chart");
  var pick = document.getElementById("trend-university");
  var series = "users";
  var trend = null;

  function trendOption(t) {
    var days = t.days.map(function (d) { return d.day.slice(5); });
    var col = function (k) { return t.days.map(function (d) { return d[k]; }); };
    var rate = function (k) { return t.days.map(function (d) { return d[k] == null ? null : Math.round(d[k] * 1000) / 10; }); };
    var o = {
      animationDuration: 300,
      color: [red, blue],
      tooltip: tooltip,
      legend: { top: 0, itemWidth: 14, textStyle: { fontSize: 12 } },
      grid: grid,
      xAxis: { type: "category", data: days, axisLabel: { fontSize: 10, color: grey } },
      yAxis: [{ type: "value", minInterval: 1, axisLabel: { fontSize: 10, color: grey } }]
    };
    var rateAxis = { type: "value", min: 0, max: 100, axisLabel: { fontSize: 10, color: grey, formatter: "{value}%" }, splitLine: { show: false } };
    if (series === "users") {
      o.series = [
        { name: "新增注册", type: "bar", data: col("new_users") },
        { name: "活跃用户", type: "line", data: col("active_users"), showSymbol: false }
      ];
    } else if (series === "questions") {
      o.yAxis.push(rateAxis);
      o.series = [
        { name: "提问数", type: "bar", data: col("questions") },
        { name: "按时答复率", type: "line", yAxisIndex: 1, data: rate("on_time_rate"), connectNulls: true, tooltip: { valueFormatter: function (v) { return v == null ? "—" : v + "%"; } } }
      ];
    } else {
      o.yAxis.push(rateAxis);
      o.series = [
        { name: "预约数", type: "bar", data: col("bookings") },
        { name: "按时反馈率", type: "line", yAxisIndex: 1, data: rate("booking_on_time_rate"), connectNulls: true, tooltip: { valueFormatter: function (v) { return v == null ? "—" : v + "%"; } } }
      ];
    }
    return o;
  }

  function showTrend() {
    if (trend) draw(trendChart, trendOption(trend), "trend");
  }

  // Each load counts, so that an answer overtaken by a later choice is
  // dropped rather than drawn over it.
  var loads = { trend: 0, rank: 0 };
  function loading(mark, statusID) {
    root.removeAttribute("data-" + mark);
    status(statusID, "加载中…");
    return ++loads[mark];
  }

  function loadTrend() {
    var uni = pick ? pick.value : root.getAttribute("data-university");
    var n = loading("trend", "trend-status");
    api("/admin/stats/trends", { from: period.from, to: period.to, university: uni }).then(function (t) {
      if (n !== loads.trend) return;
      trend = t;
      status("trend-status", (t.university ? t.university.name : "全省合计") + " · " + t.period.from + " 至 " + t.period.to);
      showTrend();
    }).catch(function (e) {
      if (n !== loads.trend) return;
      trend = null;
      trendChart.clear();
      status("trend-status", e.message);
    });
  }

  var tabs = document.querySelectorAll("#trend-tabs [data-series]");
  Array.prototype.forEach.call(tabs, function (b) {
    b.addEventListener("click", function () {
      series = b.getAttribute("data-series");
      Array.prototype.forEach.call(tabs, function (x) {
        x.classList.toggle("active", x === b);
        x.setAttribute("aria-selected", x === b ? "true" : "false");
      });
      showTrend();
    });
  });
  if (pick) pick.addEventListener("change", loadTrend);
  if (trendChart) loadTrend();

  // ---- the ranking (province) -----------------------------------------

  var rankChart = chartOn("rank-chart");
  var metric = document.getElementById("rank-metric");
  var end = document.getElementById("rank-end");

  function loadRank() {
    var opt = metric.options[metric.selectedIndex];
    var isRate = opt.getAttribute("data-rate") === "1";
    var bottom = end.value === "bottom";
    var n = loading("rank", "rank-status");
    // The report itself, ordered by the metric: highest first, and the
    // universities with nothing to measure (null) last, left out here.
    api("/admin/stats", { from: period.from, to: period.to, sort: metric.value }).then(function (r) {
      if (n !== loads.rank) return;
      var rows = r.universities.filter(function (u) { return u.sort_value != null; });
      var pickRows = bottom ? rows.slice(-20).reverse() : rows.slice(0, 20);
      pickRows.reverse(); // ECharts draws the first category at the bottom
      var names = pickRows.map(function (u) { return u.university.name; });
      var values = pickRows.map(function (u) { return isRate ? Math.round(u.sort_value * 1000) / 10 : u.sort_value; });
      var rankChartHeight = Math.max(160, names.length * 26 + 40);
      rankChart.getDom().style.height = rankChartHeight + "px";
      rankChart.resize();
      status("rank-status", (bottom ? "后" : "前") + " " + names.length + " 所 · 按" + opt.text +
        (rows.length < r.universities.length ? "（" + (r.universities.length - rows.length) + " 所没有可计算的数据，未列入）" : ""));
      draw(rankChart, {
        animationDuration: 300,
        color: [bottom ? grey : red],
        tooltip: { trigger: "axis", renderMode: "richText", confine: true, axisPointer: { type: "shadow" },
          valueFormatter: function (v) { return isRate ? v + "%" : String(v); } },
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", max: isRate ? 100 : null, axisLabel: { fontSize: 10, color: grey, formatter: isRate ? "{value}%" : "{value}" } },
        yAxis: { type: "category", data: names, axisTick: { show: false },
          axisLabel: { fontSize: 11, width: 120, overflow: "truncate", color: "#191919" } },
        series: [{ type: "bar", data: values, barMaxWidth: 16,
          label: { show: true, position: "right", fontSize: 10, formatter: function (p) { return isRate ? p.value + "%" : p.value; } } }]
      }, "rank");
    }).catch(function (e) {
      if (n !== loads.rank) return;
      rankChart.clear();
      status("rank-status", e.message);
    });
  }

  if (rankChart && metric && end) {
    metric.addEventListener("change", loadRank);
    end.addEventListener("change", loadRank);
    loadRank();
  }
})();
