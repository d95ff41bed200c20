/* 登录页 */
layui.use(['form', 'layer'], function () {
  'use strict';

  var form = layui.form;
  var App = window.App;

  var formEl = document.getElementById('login-form');
  var captchaImg = document.getElementById('captcha-image');
  var captchaInput = document.getElementById('login-captcha');
  var submitButton = formEl.querySelector('[lay-filter="login-submit"]');
  var submitting = false;

  form.verify({
    phone: App.phoneRule
  });

  App.bindCaptcha(captchaImg, function () {
    captchaInput.value = '';
  });

  /* 登录后去哪里：只接受本站路径（以 / 开头，但不是 // 或 /\） */
  function nextUrl() {
    var next = null;
    try {
      next = new URLSearchParams(window.location.search).get('next');
    } catch (e) {
      return '/';
    }
    if (!next || next.charAt(0) !== '/' || next.charAt(1) === '/' || next.charAt(1) === '\\') {
      return '/';
    }
    if (/[\u0000-\u001f\u007f\s\\]/.test(next)) {
      return '/';
    }
    try {
      var url = new URL(next, window.location.origin);
      if (url.origin !== window.location.origin) return '/';
      return url.pathname + url.search + url.hash;
    } catch (e) {
      return '/';
    }
  }

  form.on('submit(login-submit)', function (obj) {
    var field = obj.field;
    if (submitting) return false;
    App.clearErrors(formEl);

    submitting = true;
    App.busy(submitButton, true);
    App.api('/api/login', {
      mobile: String(field.mobile || '').trim(),
      password: field.password || '',
      captcha: String(field.captcha || '').trim(),
      captcha_uuid: captchaImg.dataset.uuid || '',
      remember: !!field.remember
    }).then(function (res) {
      var data = res.data || {};
      if (App.ok(res)) {
        if (data.deletion_cancelled) {
          // 冷静期内登录：注销已撤销，先告诉用户再跳转
          App.alert(data.message, { icon: 1, title: '注销已撤销', end: function () { window.location.href = nextUrl(); } });
          return;
        }
        window.location.href = nextUrl();
        return; // 保持按钮禁用，直到跳转
      }
      submitting = false;
      App.busy(submitButton, false);
      // 图片验证码只能用一次：失败后换一张
      captchaInput.value = '';
      App.reloadCaptcha(captchaImg);

      if (data.error === 'account_locked') {
        var text = data.message || '帐号已被临时锁定';
        var minutes = Math.ceil(Number(data.retry_after) / 60);
        if (minutes > 0 && text.indexOf('分钟') === -1) {
          text += '，请约 ' + minutes + ' 分钟后再试';
        }
        App.alert(text, { icon: 2, title: '帐号已锁定' });
        return;
      }
      App.showError(formEl, data);
      // 错误显示在其他字段时，焦点放到验证码上方便重新输入
      if (!App.findField(formEl, data.field)) {
        captchaInput.focus();
      }
    });
    return false; // 阻止表单原生提交
  });
});
