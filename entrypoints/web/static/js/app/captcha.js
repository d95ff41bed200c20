/*
 * 图片验证码：每次一个新的 UUID；点图片或“看不清？换一张”换一张。图片加载失败（请求太频繁 429、
 * 服务不可用 503）时显示可读的占位文字和字段提示，而不是一张破图。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var FAILED = '图片验证码加载失败（请求太频繁或服务暂时不可用），请稍后点击“看不清？换一张”重试';

  function newUuid() {
    var c = window.crypto;
    if (typeof c.randomUUID === 'function') return c.randomUUID();
    var b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; // 版本 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 变体
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* 返回 {uuid(), value(), renew(), failed()}；表单提交后（无论成败）调 renew()：验证码只能用一次 */
  App.captcha = function (form) {
    var img = form.querySelector('.captcha-image'); // one per form: ids differ where a page has two
    var placeholder = form.querySelector('.captcha-placeholder');
    var input = form.elements.namedItem('captcha');
    var failed = false;

    function renew() {
      if (failed) App.clearFieldError(form, input); // 上一张没加载出来的提示；服务器的拒绝由调用方随后显示
      failed = false;
      input.value = '';
      placeholder.hidden = true;
      img.style.visibility = '';
      img.dataset.uuid = newUuid();
      img.src = '/get_captcha?captcha_uuid=' + encodeURIComponent(img.dataset.uuid);
    }

    img.addEventListener('error', function () {
      failed = true;
      img.style.visibility = 'hidden';
      placeholder.hidden = false;
      App.fieldError(form, input, FAILED, { focus: false });
    });
    img.addEventListener('click', renew);
    var refresh = form.querySelector('.captcha-refresh');
    refresh.disabled = false;
    refresh.addEventListener('click', function () {
      renew();
      input.focus();
    });
    renew();

    return {
      uuid: function () { return img.dataset.uuid || ''; },
      value: function () { return input.value.trim(); },
      renew: renew,
      /* 没能加载时先别提交：服务器只会答“验证码错误” */
      failed: function () {
        if (failed) App.fieldError(form, input, FAILED);
        return failed;
      }
    };
  };
})(window, document);
