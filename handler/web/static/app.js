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
  // Confirm before a destructive action: a form[data-confirm], or a
  // submit button[data-confirm], opens a WeUI-style dialog (title from
  // data-confirm-title, else the button's text; the consequence from
  // data-confirm; the confirm button's label from data-confirm-ok, else
  // 确定) before it is posted. Without script the form posts at once; the
  // server acts only on a POST with the CSRF token. No inline handlers:
  // the pages' Content-Security-Policy allows none.
  var dialogOpen = false;
  var confirmDialog = function (opts, done) {
    var mask = document.createElement("div");
    mask.className = "dialog-mask";
    var box = document.createElement("div");
    box.className = "dialog";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "dialog-title");
    box.setAttribute("aria-describedby", "dialog-desc");
    var title = document.createElement("strong");
    title.className = "dialog-title";
    title.id = "dialog-title";
    title.textContent = opts.title;
    var desc = document.createElement("p");
    desc.className = "dialog-desc";
    desc.id = "dialog-desc";
    desc.textContent = opts.text;
    var ft = document.createElement("div");
    ft.className = "dialog-ft";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "dialog-btn dialog-cancel";
    no.id = "dialog-cancel";
    no.textContent = "取消";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "dialog-btn dialog-ok" + (opts.warn ? " dialog-warn" : "");
    yes.id = "dialog-ok";
    yes.textContent = opts.ok;
    ft.appendChild(no);
    ft.appendChild(yes);
    box.appendChild(title);
    box.appendChild(desc);
    box.appendChild(ft);
    mask.appendChild(box);
    var back = document.activeElement;
    var close = function (ok) {
      document.removeEventListener("keydown", keys, true);
      mask.parentNode.removeChild(mask);
      dialogOpen = false;
      if (back && back.focus) back.focus();
      done(ok);
    };
    var keys = function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(false); return; }
      if (e.key === "Tab") {
        // Focus stays in the dialog: its two buttons.
        e.preventDefault();
        (document.activeElement === no ? yes : no).focus();
      }
    };
    no.addEventListener("click", function () { close(false); });
    yes.addEventListener("click", function () { close(true); });
    mask.addEventListener("click", function (e) { if (e.target === mask) close(false); });
    document.addEventListener("keydown", keys, true);
    document.body.appendChild(mask);
    dialogOpen = true;
    // The safe choice has the focus: Enter does not destroy anything.
    no.focus();
  };
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var btn = e.submitter || null;
    var src = btn && btn.hasAttribute("data-confirm") ? btn : (f.hasAttribute("data-confirm") ? f : null);
    if (src && !f.yvConfirmed) {
      e.preventDefault();
      if (dialogOpen) return;
      var label = btn ? (btn.textContent || btn.value || "").trim() : "";
      confirmDialog({
        title: src.getAttribute("data-confirm-title") || (label ? label + "？" : "确定要继续吗？"),
        text: src.getAttribute("data-confirm"),
        ok: src.getAttribute("data-confirm-ok") || "确定",
        warn: !src.hasAttribute("data-confirm-safe")
      }, function (ok) {
        if (!ok) return;
        f.yvConfirmed = true;
        if (f.requestSubmit) f.requestSubmit(btn && btn.form === f ? btn : undefined); else f.submit();
        f.yvConfirmed = false;
      });
      return;
    }
    // Prevent double submission of forms (a double tap on a phone).
    if (f.getAttribute("data-submitted")) { e.preventDefault(); return; }
    f.setAttribute("data-submitted", "1");
    setTimeout(function () { f.removeAttribute("data-submitted"); }, 3000);
  });
  // Toast: the notice a page shows after a successful action (#notice)
  // also appears as a WeUI toast that fades; the notice itself stays in
  // the page (screen readers announce it: role=status), so the toast is
  // hidden from them.
  var notice = document.getElementById("notice");
  if (notice && notice.textContent.trim()) {
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.id = "toast";
    toast.setAttribute("aria-hidden", "true");
    var mark = document.createElement("span");
    mark.className = "toast-icon";
    mark.textContent = "✓";
    var words = document.createElement("span");
    words.className = "toast-text";
    // A toast says what happened in a few words: the notice's first
    // sentence (the rest stays in the notice).
    words.textContent = notice.textContent.trim().split(/[！。!]/)[0];
    toast.appendChild(mark);
    toast.appendChild(words);
    document.body.appendChild(toast);
    setTimeout(function () { toast.className += " toast-fade"; }, 2200);
    setTimeout(function () { if (toast.parentNode) toast.parentNode.removeChild(toast); }, 2800);
  }
})();
