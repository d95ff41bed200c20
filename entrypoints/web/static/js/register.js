/* 注册页 */
layui.use(['form', 'layer', 'util'], function () {
  'use strict';

  var form = layui.form;
  var util = layui.util;
  var App = window.App;

  var formEl = document.getElementById('register-form');
  var captchaImg = document.getElementById('captcha-image');
  var captchaInput = document.getElementById('reg-captcha');
  var mobileInput = document.getElementById('reg-cellphone');
  var passwordInput = document.getElementById('reg-password');
  var smsButton = document.getElementById('reg-get-vercode');
  var submitButton = formEl.querySelector('[lay-filter="reg-submit"]');

  var COUNTDOWN_KEY = 'sms-countdown-until:register';
  var SMS_LABEL = '获取验证码';
  var sending = false;
  var submitting = false;
  var timer = null;

  function codePoints(s) {
    return Array.from(String(s == null ? '' : s)).length;
  }

  form.verify({
    phone: App.phoneRule,
    nickname: function (value) {
      var n = codePoints(String(value || '').trim());
      if (n < 1 || n > 32) {
        return '昵称须为 1-32 个字符';
      }
    },
    password: function (value) {
      var n = codePoints(value);
      if (n < 8 || n > 128) {
        return '密码须为 8-128 个字符';
      }
    },
    confirmPassword: function (value) {
      if (value !== passwordInput.value) {
        return '两次密码输入不一致';
      }
    }
  });

  /* ---------- 图片验证码 ---------- */

  App.bindCaptcha(captchaImg, function () {
    captchaInput.value = '';
  });

  function renewCaptcha() {
    captchaInput.value = '';
    App.reloadCaptcha(captchaImg);
  }

  /* ---------- 短信倒计时（存 localStorage，刷新页面后继续） ---------- */

  function storeGet() {
    try {
      return Number(window.localStorage.getItem(COUNTDOWN_KEY)) || 0;
    } catch (e) {
      return 0;
    }
  }

  function storeSet(until) {
    try {
      if (until) {
        window.localStorage.setItem(COUNTDOWN_KEY, String(until));
      } else {
        window.localStorage.removeItem(COUNTDOWN_KEY);
      }
    } catch (e) { /* 隐私模式等：只在本页倒计时 */ }
  }

  var countdownUntil = 0;

  function counting() {
    return countdownUntil > Date.now();
  }

  function tick() {
    var left = Math.ceil((countdownUntil - Date.now()) / 1000);
    if (left > 0) {
      // 长时间限制（如当日次数用完）按分钟显示
      smsButton.textContent = left > 120 ? Math.ceil(left / 60) + ' 分钟后重发' : left + ' 秒后重发';
      App.busy(smsButton, true);
      return;
    }
    window.clearInterval(timer);
    timer = null;
    countdownUntil = 0;
    storeSet(0);
    smsButton.textContent = SMS_LABEL;
    App.busy(smsButton, sending);
  }

  function startCountdown(seconds) {
    seconds = Math.ceil(Number(seconds));
    if (!(seconds > 0)) return;
    seconds = Math.min(seconds, 24 * 3600);
    countdownUntil = Date.now() + seconds * 1000;
    storeSet(countdownUntil);
    if (timer) window.clearInterval(timer);
    timer = window.setInterval(tick, 1000);
    tick();
  }

  (function resumeCountdown() {
    var until = storeGet();
    var left = (until - Date.now()) / 1000;
    // 最多恢复 24 小时，防止存了离谱的值
    if (left > 0 && left <= 24 * 3600) {
      startCountdown(left);
    } else {
      storeSet(0);
    }
  })();

  /* ---------- 获取短信验证码 ---------- */

  function sendSms() {
    if (sending || counting()) return;
    App.clearErrors(formEl);
    if (!form.validate('#reg-cellphone')) return;

    var captcha = captchaInput.value.trim();
    if (!captcha) {
      App.showError(formEl, { field: 'captcha', message: '请先填写图片验证码' });
      return;
    }

    sending = true;
    App.busy(smsButton, true);
    App.api('/api/send_register_sms', {
      mobile: mobileInput.value.trim(),
      captcha: captcha,
      captcha_uuid: captchaImg.dataset.uuid || ''
    }).then(function (res) {
      sending = false;
      App.busy(smsButton, false);
      // 图片验证码只能用一次：无论成败都换一张
      renewCaptcha();
      var data = res.data || {};
      if (App.ok(res)) {
        App.msg(data.message || '验证码已发送', { icon: 1 });
        startCountdown(60);
        return;
      }
      if (res.status === 429 && data.retry_after) {
        startCountdown(data.retry_after);
      }
      App.showError(formEl, data);
    });
  }

  util.on('lay-on', {
    'reg-get-vercode': sendSms
  });

  /* ---------- 提交注册 ---------- */

  // layui 的复选框不触发原生 change，勾选时在这里清掉提示
  form.on('checkbox(agreement)', function () {
    App.clearFieldError(formEl, 'agreement');
  });

  form.on('submit(reg-submit)', function (obj) {
    var field = obj.field;
    if (submitting) return false;
    App.clearErrors(formEl);

    if (!field.agreement) {
      App.showError(formEl, { field: 'agreement', message: '您必须勾选同意用户协议才能注册' });
      return false;
    }

    submitting = true;
    App.busy(submitButton, true);
    App.api('/api/register', {
      nickname: String(field.nickname || '').trim(),
      mobile: String(field.mobile || '').trim(),
      vercode: String(field.vercode || '').trim(),
      password: field.password || '',
      confirmPassword: field.confirmPassword || '',
      agreement: true
    }).then(function (res) {
      var data = res.data || {};
      if (App.ok(res)) {
        storeSet(0);
        App.msg(data.message || '注册成功', { icon: 1 });
        window.setTimeout(function () {
          window.location.href = '/login';
        }, 1500);
        return; // 保持按钮禁用，直到跳转
      }
      submitting = false;
      App.busy(submitButton, false);
      App.showError(formEl, data);
    });
    return false; // 阻止表单原生提交
  });
});
