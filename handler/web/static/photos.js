// Photos on the ask and answer forms (form[data-photos]) and on the
// question page. In a browser the file input does it all. Inside WeChat
// (jweixin loaded, or the sandbox's shim) 拍照或从相册选择 uses the JSSDK:
// chooseImage, then uploadImage; each serverId goes with the form as
// media_id and the server fetches the picture from WeChat (media/get).
(function () {
  'use strict';
  var MAX = 3;
  var form = document.querySelector('form[data-photos]');

  function mediaCount() { return form.querySelectorAll('input[name="media_id"]').length; }
  function fileCount() {
    var f = form.querySelector('input[name="images"]');
    return f && f.files ? f.files.length : 0;
  }
  function status(text) {
    var el = document.getElementById('photo-status');
    if (el) el.textContent = text;
  }
  function refresh() {
    var n = mediaCount() + fileCount();
    if (n > MAX) status('最多 3 张图片，已选 ' + n + ' 张，请重新选择');
    else if (n > 0) status('已选 ' + n + ' 张图片（最多 3 张），随提交一起上传');
    else status('选填，最多 3 张，每张不超过 10 MiB（JPEG、PNG、GIF、WebP）');
  }

  if (form) {
    var input = form.querySelector('input[name="images"]');
    if (input) input.addEventListener('change', refresh);
    form.addEventListener('submit', function (e) {
      if (mediaCount() + fileCount() > MAX) {
        e.preventDefault();
        refresh();
      }
    });
  }

  var wx = window.wx;
  if (!wx || typeof wx.config !== 'function') return;

  function withConfig(then) {
    var url = location.href.split('#')[0];
    fetch('/api/v1/wechat/jssdk-config?url=' + encodeURIComponent(url), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (cfg) {
        wx.config({ debug: false, appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr,
          signature: cfg.signature, jsApiList: ['chooseImage', 'uploadImage', 'previewImage'] });
        wx.ready(then);
      })
      .catch(function () { /* the file input still works */ });
  }

  withConfig(function () {
    // Thumbnails open in WeChat's own viewer, swiping through the post's.
    document.querySelectorAll('.photo-grid').forEach(function (grid) {
      var links = Array.prototype.slice.call(grid.querySelectorAll('a[data-photo]'));
      var urls = links.map(function (a) { return new URL(a.getAttribute('data-photo'), location.href).href; });
      links.forEach(function (a, i) {
        a.addEventListener('click', function (e) {
          if (window.wx.sandbox) return; // the sandbox opens the link
          e.preventDefault();
          wx.previewImage({ current: urls[i], urls: urls });
        });
      });
    });
    if (!form) return;
    var btn = document.getElementById('wx-choose');
    if (!btn) return;
    btn.hidden = false;
    btn.addEventListener('click', function () {
      var room = MAX - mediaCount() - fileCount();
      if (room <= 0) { refresh(); return; }
      wx.chooseImage({
        count: room, sizeType: ['compressed'], sourceType: ['album', 'camera'],
        success: function (res) {
          var ids = res.localIds.slice(0, room);
          (function next() {
            if (!ids.length) { refresh(); return; }
            wx.uploadImage({
              localId: ids.shift(), isShowProgressTips: 1,
              success: function (r) {
                var h = document.createElement('input');
                h.type = 'hidden';
                h.name = 'media_id';
                h.value = r.serverId;
                form.appendChild(h);
                var chip = document.createElement('span');
                chip.className = 'photo-chip';
                chip.textContent = '图片 ' + mediaCount();
                var box = document.getElementById('photo-chosen');
                if (box) box.appendChild(chip);
                next();
              },
              fail: function () { status('图片上传失败，请重试'); }
            });
          })();
        }
      });
    });
  });
})();
