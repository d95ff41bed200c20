/* 忘记密码：短信验证码验证手机号，设置新密码 */
layui.use(['form', 'layer', 'util'], function () {
  'use strict';

  var form = layui.form;
  var util = layui.util;
  var App = window.App;

  var formEl = document.getElementById('forgot-form');
  var captchaImg = document.getElementById('captcha-image');
  var captchaInput = document.getElementById('forgot-captcha');
  var mobileInput = document.getElementById('forgot-cellphone');
  var passwordInput = document.getElementById('forgot-password');
  var smsButton = document.getElementById('forgot-get-vercode');
  var submitButton = formEl.querySelector('[lay-filter="forgot-submit"]');

  var COUNTDOWN_KEY = 'sms-countdown-until:reset_password';
  var SMS_LABEL = '获取验证码';
  var sending = false;
  var submitting = false;

  function codePoints(s) {
    return Array.from(String(s == null ? '' : s)).length;
  }

  form.verify({
    phone: App.phoneRule,
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

  /* ---------- 获取短信验证码（倒计时存 localStorage，刷新页面后继续） ---------- */

  var countdown = App.smsCountdown(smsButton, COUNTDOWN_KEY, SMS_LABEL);

  function sendSms() {
    if (sending || countdown.counting()) return;
    App.clearErrors(formEl);
    if (!form.validate('#forgot-cellphone')) return;

    var captcha = captchaInput.value.trim();
    if (!captcha) {
      App.showError(formEl, { field: 'captcha', message: '请先填写图片验证码' });
      return;
    }

    sending = true;
    countdown.sending(true);
    App.api('/api/send_reset_sms', {
      mobile: mobileInput.value.trim(),
      captcha: captcha,
      captcha_uuid: captchaImg.dataset.uuid || ''
    }).then(function (res) {
      sending = false;
      countdown.sending(false);
      // 图片验证码只能用一次：无论成败都换一张
      renewCaptcha();
      var data = res.data || {};
      if (App.ok(res)) {
        App.msg(data.message || '验证码已发送', { icon: 1 });
        countdown.start(60);
        return;
      }
      if (res.status === 429 && data.retry_after) {
        countdown.start(data.retry_after);
      }
      App.showError(formEl, data);
    });
  }

  util.on('lay-on', {
    'forgot-get-vercode': sendSms
  });

  /* ---------- 提交新密码 ---------- */

  form.on('submit(forgot-submit)', function (obj) {
    var field = obj.field;
    if (submitting) return false;
    App.clearErrors(formEl);

    submitting = true;
    App.busy(submitButton, true);
    App.api('/api/reset_password', {
      mobile: String(field.mobile || '').trim(),
      vercode: String(field.vercode || '').trim(),
      password: field.password || '',
      confirmPassword: field.confirmPassword || ''
    }).then(function (res) {
      var data = res.data || {};
      if (App.ok(res)) {
        countdown.clear();
        App.msg(data.message || '密码已重置，请使用新密码登录', { icon: 1 });
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
