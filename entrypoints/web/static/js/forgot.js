/* 忘记密码：短信验证码验证手机号，设置新密码 */
layui.use(['form', 'layer', 'util'], function () {
  'use strict';

  var form = layui.form;
  var util = layui.util;
  var App = window.App;

  var formEl = document.getElementById('forgot-form');
  var submitButton = formEl.querySelector('[lay-filter="forgot-submit"]');
  var submitting = false;

  form.verify(App.formRules(document.getElementById('forgot-password')));

  /* ---------- 图片验证码、获取短信验证码 ---------- */

  var sms = App.smsSender({
    form: form,
    formEl: formEl,
    mobileSelector: '#forgot-cellphone',
    captchaInput: document.getElementById('forgot-captcha'),
    captchaImg: document.getElementById('captcha-image'),
    button: document.getElementById('forgot-get-vercode'),
    endpoint: '/api/send_reset_sms',
    countdownKey: 'sms-countdown-until:reset_password',
    label: '获取验证码'
  });

  util.on('lay-on', {
    'forgot-get-vercode': sms.send
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
        sms.countdown.clear();
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
