// Progressive enhancement only: every page works without script.
(function () {
  "use strict";
  // University search: filter the <select> as the user types (name or city).
  var search = document.getElementById("university-search");
  var select = document.getElementById("university");
  var count = document.getElementById("university-count");
  if (search && select) {
    var all = Array.prototype.slice.call(select.options, 1).map(function (o) {
      return { value: o.value, text: o.text, key: o.getAttribute("data-search") || o.text };
    });
    var filter = function () {
      var words = search.value.trim().replace(/市/g, "").split(/\s+/).filter(Boolean);
      var keep = select.value;
      var hits = all.filter(function (u) {
        return words.every(function (w) { return u.key.indexOf(w) >= 0; });
      });
      while (select.options.length > 1) select.remove(1);
      hits.forEach(function (u) {
        var o = new Option(u.text, u.value);
        o.setAttribute("data-search", u.key);
        if (u.value === keep) o.selected = true;
        select.add(o);
      });
      if (hits.length === 1) select.value = hits[0].value;
      if (count) count.textContent = words.length ? "找到 " + hits.length + " 所学校" + (hits.length === 0 ? "，请换个关键词" : "") : "";
    };
    search.addEventListener("input", filter);
  }
  // 返回 on the error page: back in the history when there is a page to
  // go back to (the link itself leads to the referring page or 主页).
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-back]");
    if (!a || window.history.length < 2 || !document.referrer) return;
    try {
      if (new URL(document.referrer).origin !== window.location.origin) return;
    } catch (err) { return; }
    e.preventDefault();
    window.history.back();
  });
  // Drafts: a form with data-draft="name" keeps its title and body in
  // localStorage as the user types and gets them back when the page opens
  // again with the fields empty (a closed page, a lost connection); the
  // page after a successful submit carries data-clear-draft="name".
  var store = null;
  try { store = window.localStorage; } catch (err) { store = null; }
  var draftKey = function (name) { return "yv-draft-" + name; };
  if (store) {
    var clear = document.querySelector("[data-clear-draft]");
    if (clear) {
      try { store.removeItem(draftKey(clear.getAttribute("data-clear-draft"))); } catch (err) { /* ignore */ }
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (f) {
      var key = draftKey(f.getAttribute("data-draft"));
      var fields = ["title", "body"].map(function (n) { return f.elements[n]; }).filter(Boolean);
      var saved = null;
      try { saved = JSON.parse(store.getItem(key) || "null"); } catch (err) { saved = null; }
      var empty = fields.every(function (el) { return el.value === ""; });
      if (saved && empty) {
        fields.forEach(function (el) { if (typeof saved[el.name] === "string") el.value = saved[el.name]; });
      }
      var save = function () {
        var d = {};
        var any = false;
        fields.forEach(function (el) { d[el.name] = el.value; if (el.value.trim() !== "") any = true; });
        try {
          if (any) store.setItem(key, JSON.stringify(d)); else store.removeItem(key);
        } catch (err) { /* full or disabled: the form still works */ }
      };
      fields.forEach(function (el) { el.addEventListener("input", save); });
    });
  }
  // Prevent double submission of forms (a double tap on a phone).
  // A form with data-confirm asks first (no inline handlers: the pages'
  // Content-Security-Policy allows none).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var ask = f.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) { e.preventDefault(); return; }
    if (f.getAttribute("data-submitted")) { e.preventDefault(); return; }
    f.setAttribute("data-submitted", "1");
    setTimeout(function () { f.removeAttribute("data-submitted"); }, 3000);
  });
})();
