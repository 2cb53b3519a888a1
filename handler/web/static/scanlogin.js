// 微信扫码登录 on the PC (handler/h5 login_scan): the countdown, and a
// poll every 2 seconds of the code's state until the phone confirms
// (then the admin pages), it expires or it is refused. Without script
// the page's 我已在手机上确认 button asks the same question.
(function () {
  "use strict";
  var box = document.getElementById("scan-login");
  var qr = document.getElementById("scan-qr");
  var check = document.getElementById("scan-check");
  if (!box || !qr || !check || !window.fetch) return;
  var token = box.getAttribute("data-token");
  var expires = Date.now() + 1000 * Number(box.getAttribute("data-left"));
  var state = document.getElementById("scan-state");
  var countdown = document.getElementById("scan-countdown");
  var refresh = document.getElementById("scan-refresh");
  var csrf = check.querySelector('input[name="_csrf"]').value;
  var done = false;
  var show = function (s, message) {
    state.textContent = message;
    state.className = "scan-state state-" + s;
    box.setAttribute("data-state", s);
  };
  // The code can no longer sign in: offer a new one.
  var finish = function (s, message) {
    done = true;
    show(s, message);
    qr.classList.add("scan-qr-dead");
    check.hidden = true;
    refresh.hidden = false;
    countdown.textContent = "";
  };
  var tick = function () {
    if (done) return;
    var left = Math.round((expires - Date.now()) / 1000);
    if (left <= 0) {
      finish("expired", "二维码已过期，请刷新二维码");
      return;
    }
    var s = left % 60;
    countdown.textContent = "二维码 " + Math.floor(left / 60) + ":" + (s < 10 ? "0" : "") + s + " 后过期，仅限本浏览器使用";
  };
  var poll = function () {
    if (done) return;
    var body = new URLSearchParams();
    body.set("t", token);
    fetch("/h5/login/scan/status", {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; }, function () { return { ok: false, j: {} }; });
    }).then(function (res) {
      if (done) return;
      var j = res.j;
      if (!res.ok) {
        finish("refused", j.message || "登录失败，请刷新页面后重试");
      } else if (j.state === "confirmed" && j.redirect) {
        done = true;
        show("confirmed", j.message);
        window.location.assign(j.redirect);
      } else if (j.state === "expired" || j.state === "refused") {
        finish(j.state, j.message);
      } else {
        show(j.state, j.message);
        window.setTimeout(poll, 2000);
      }
    }, function () {
      window.setTimeout(poll, 4000); // offline for a moment: try again
    });
  };
  tick();
  window.setInterval(tick, 1000);
  window.setTimeout(poll, 2000);
})();
