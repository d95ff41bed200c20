/* 登录页：两个标签，密码登录和验证码登录（手机上默认验证码登录），同一个表单 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('login-form');
  var captcha = App.captcha(form);
  var mobile = form.elements.namedItem('mobile');
  var password = form.elements.namedItem('password');
  var tabs = Array.prototype.slice.call(form.querySelectorAll('[role="tab"]'));
  var panels = form.querySelectorAll('[data-mode-panel]');
  var captchaInput = form.elements.namedItem('captcha');
  var NARROW = '(max-width: 767px)';

  function mode() { return form.getAttribute('data-mode'); }

  // 只校验当前标签的字段：另一个标签的 lay-verify 先收起来
  function setVerify(input, on) {
    if (on && input.hasAttribute('data-verify')) {
      input.setAttribute('lay-verify', input.getAttribute('data-verify'));
    } else if (!on && input.hasAttribute('lay-verify')) {
      input.setAttribute('data-verify', input.getAttribute('lay-verify'));
      input.removeAttribute('lay-verify');
    }
  }

  function show(next, focus, keepBanners) {
    form.setAttribute('data-mode', next);
    if (!keepBanners) App.clearErrors(form); // 打开页面时不清：可能有上一页留下的提示（如“注册成功”）
    tabs.forEach(function (tab) {
      var on = tab.getAttribute('data-mode') === next;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    Array.prototype.forEach.call(panels, function (panel) {
      var on = panel.getAttribute('data-mode-panel') === next;
      panel.hidden = !on;
      Array.prototype.forEach.call(panel.querySelectorAll('input'), function (input) { setVerify(input, on); });
    });
    setVerify(captchaInput, next === 'password'); // 验证码登录只在获取短信验证码时要图片验证码
  }

  tabs.forEach(function (tab, i) {
    tab.disabled = false;
    tab.addEventListener('click', function () { show(tab.getAttribute('data-mode'), false); });
    tab.addEventListener('keydown', function (event) { // 左右方向键在标签间移动（WAI-ARIA tabs）
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      event.preventDefault();
      show(tabs[(i + 1) % tabs.length].getAttribute('data-mode'), true);
    });
  });

  // 刚注册或重置了密码：手机号已填好，直接填密码
  if (App.flashed && App.flashed.mobile) {
    show('password', false, true);
    mobile.value = App.flashed.mobile;
    password.focus();
  } else {
    show(window.matchMedia && window.matchMedia(NARROW).matches ? 'sms' : 'password', false, true);
  }

  var sms = App.smsSender({
    form: form,
    button: document.getElementById('login-get-vercode'),
    endpoint: '/api/send_login_sms',
    purpose: 'login',
    captcha: captcha,
    before: function () { return App.validate('#login-mobile'); }
  });

  App.submit({
    form: form,
    filter: 'login-submit',
    endpoint: function () { return mode() === 'sms' ? '/api/login_sms' : '/api/login'; },
    payload: function (field) {
      var remember = form.elements.namedItem('remember').checked;
      if (mode() === 'sms') {
        return {
          mobile: String(field.mobile || '').trim(),
          vercode: String(field.vercode || '').trim(),
          remember: remember,
          agreement: form.elements.namedItem('agreement').checked
        };
      }
      if (captcha.failed()) return null;
      return {
        mobile: String(field.mobile || '').trim(),
        password: field.password || '',
        captcha: captcha.value(),
        captcha_uuid: captcha.uuid(),
        remember: remember
      };
    },
    success: function (data) {
      sms.countdown.clear();
      var go = function () { window.location.assign(App.sameOriginTarget(form.getAttribute('data-next'))); };
      if (data.deletion_cancelled) {
        // 冷静期内登录：注销已撤销，先告诉用户再跳转
        App.confirm(data.message, { title: '注销已撤销', ok: '知道了', cancel: false, icon: 1 }).then(go);
      } else {
        go();
      }
      return true; // 保持“登录中…”，直到跳转
    },
    failure: function (res) {
      if (mode() === 'sms') return false; // 字段旁（验证码、协议）或横幅：按服务器给的字段显示
      captcha.renew(); // 验证码只能用一次：失败后换一张
      if (res.data.field) return false; // 字段旁显示
      // 手机号或密码错误、账号锁定、太频繁、服务不可用：横幅，焦点回到密码以便重试
      App.banner(form, res.data.message, 'error');
      password.select();
      password.focus();
      return true;
    }
  });
});
