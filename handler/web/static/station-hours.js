// The station hours editor (station_edit.html). Without script every
// period row of every day shows, blank ones are ignored on save and a day
// with a period picked is open; with
// it the 开放/休息 switch shows or hides a day's periods, only the filled
// rows and 添加时段 show, 删除 clears a row, and 复制到所有工作日 /
// 复制到周末 copy Monday's switch and periods.
(function () {
  "use strict";
  var form = document.getElementById("hours-form");
  if (!form) return;
  form.classList.add("hours-js");

  var day = function (d) { return document.getElementById("hours-day-" + d); };
  var periods = function (el) { return Array.prototype.slice.call(el.querySelectorAll(".period")); };
  var inputs = function (p) { return p.querySelectorAll("input[type=time]"); };
  var filled = function (p) {
    var i = inputs(p);
    return i[0].value !== "" || i[1].value !== "";
  };

  // sync shows a day's periods after a change: with the switch off none;
  // on, every row that is filled or was shown, at least one.
  var sync = function (el) {
    var on = el.querySelector(".day-open").checked;
    el.classList.toggle("day-off", !on);
    // A day set to 休息 sends none of its periods: the server opens a day
    // whose periods are filled (for pages without script).
    Array.prototype.forEach.call(el.querySelectorAll("input[type=time]"), function (i) { i.disabled = !on; });
    var ps = periods(el);
    var shown = 0;
    ps.forEach(function (p) {
      var keep = filled(p) || !p.hidden && p.getAttribute("data-spare") !== "1";
      p.hidden = !keep;
      p.removeAttribute("data-spare");
      if (keep) shown++;
    });
    if (shown === 0) {
      ps[0].hidden = false;
      shown = 1;
    }
    ps.forEach(function (p) {
      p.querySelector(".period-remove").hidden = shown < 2;
    });
    el.querySelector(".period-add").hidden = !on || shown >= ps.length;
  };

  var days = Array.prototype.slice.call(form.querySelectorAll(".hours-day"));
  days.forEach(function (el) {
    sync(el);
    el.querySelector(".day-open").addEventListener("change", function () { sync(el); });
    el.querySelector(".period-add").addEventListener("click", function () {
      var next = periods(el).filter(function (p) { return p.hidden; })[0];
      if (next) {
        next.hidden = false;
        sync(el);
        inputs(next)[0].focus();
      }
    });
    periods(el).forEach(function (p) {
      p.querySelector(".period-remove").addEventListener("click", function () {
        var i = inputs(p);
        i[0].value = "";
        i[1].value = "";
        p.hidden = true;
        sync(el);
      });
    });
  });

  // copy sets days to Monday's switch and periods.
  var copy = function (targets) {
    var mon = day(1);
    var from = periods(mon);
    targets.forEach(function (d) {
      var el = day(d);
      el.querySelector(".day-open").checked = mon.querySelector(".day-open").checked;
      periods(el).forEach(function (p, i) {
        var src = inputs(from[i]);
        var dst = inputs(p);
        dst[0].value = src[0].value;
        dst[1].value = src[1].value;
        p.hidden = from[i].hidden;
      });
      sync(el);
    });
  };
  var bar = document.getElementById("hours-copy");
  if (bar) {
    bar.hidden = false;
    document.getElementById("copy-weekdays").addEventListener("click", function () { copy([2, 3, 4, 5]); });
    document.getElementById("copy-weekend").addEventListener("click", function () { copy([6, 0]); });
  }
})();
