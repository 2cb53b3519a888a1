// The sandbox's stand-in for WeChat's JSSDK (jweixin), loaded instead of
// it by the pages with photos in the sandbox phone. wx.config accepts the
// server's signature; wx.chooseImage picks files on this computer (the
// phone's album); wx.uploadImage sends one to the fake WeChat API, which
// keeps it as temporary media and answers its serverId, so the server
// fetches it with media/get as it does from WeChat.
(function () {
  'use strict';
  var readyFns = [], isReady = false, picked = {}, seq = 0;
  function csrf() {
    var el = document.querySelector('input[name="_csrf"]');
    return el ? el.value : '';
  }
  function call(opts, name, arg) {
    if (opts && typeof opts[name] === 'function') opts[name](arg);
  }
  function fileInput() {
    var el = document.getElementById('wx-shim-file');
    if (!el) {
      el = document.createElement('input');
      el.type = 'file';
      el.accept = 'image/*';
      el.multiple = true;
      el.id = 'wx-shim-file';
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  }
  window.wx = {
    sandbox: true,
    config: function (cfg) {
      window.wx.lastConfig = cfg;
      setTimeout(function () {
        isReady = true;
        readyFns.forEach(function (f) { f(); });
      }, 0);
    },
    ready: function (f) { if (isReady) f(); else readyFns.push(f); },
    error: function () {},
    chooseImage: function (opts) {
      var el = fileInput();
      el.value = '';
      el.onchange = function () {
        var ids = [], n = Math.min(el.files.length, (opts && opts.count) || 9);
        for (var i = 0; i < n; i++) {
          var id = 'wxLocalResource://sandbox' + (++seq);
          picked[id] = el.files[i];
          ids.push(id);
        }
        if (ids.length) call(opts, 'success', { localIds: ids, errMsg: 'chooseImage:ok' });
        else call(opts, 'cancel', { errMsg: 'chooseImage:cancel' });
      };
      el.click();
    },
    uploadImage: function (opts) {
      var f = picked[opts.localId];
      if (!f) { call(opts, 'fail', { errMsg: 'uploadImage:fail' }); return; }
      var body = new FormData();
      body.append('media', f);
      fetch('/sandbox/media', { method: 'POST', body: body, credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf() } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (j) { call(opts, 'success', { serverId: j.serverId, errMsg: 'uploadImage:ok' }); })
        .catch(function () { call(opts, 'fail', { errMsg: 'uploadImage:fail' }); });
    },
    previewImage: function (opts) { window.location.href = opts.current; }
  };
})();
