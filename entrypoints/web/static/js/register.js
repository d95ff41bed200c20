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

  var countdown = App.smsCountdown(smsButton, COUNTDOWN_KEY, SMS_LABEL);

  /* ---------- 获取短信验证码 ---------- */

  function sendSms() {
    if (sending || countdown.counting()) return;
    App.clearErrors(formEl);
    if (!form.validate('#reg-cellphone')) return;

    var captcha = captchaInput.value.trim();
    if (!captcha) {
      App.showError(formEl, { field: 'captcha', message: '请先填写图片验证码' });
      return;
    }

    sending = true;
    countdown.sending(true);
    App.api('/api/send_register_sms', {
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
        countdown.clear();
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
