/* 注册页 */
layui.use(['form', 'layer', 'util'], function () {
  'use strict';

  var form = layui.form;
  var util = layui.util;
  var App = window.App;

  var formEl = document.getElementById('register-form');
  var submitButton = formEl.querySelector('[lay-filter="reg-submit"]');
  var submitting = false;

  form.verify(App.formRules(document.getElementById('reg-password')));

  /* ---------- 图片验证码、获取短信验证码 ---------- */

  var sms = App.smsSender({
    form: form,
    formEl: formEl,
    mobileSelector: '#reg-cellphone',
    captchaInput: document.getElementById('reg-captcha'),
    captchaImg: document.getElementById('captcha-image'),
    button: document.getElementById('reg-get-vercode'),
    endpoint: '/api/send_register_sms',
    countdownKey: 'sms-countdown-until:register',
    label: '获取验证码'
  });

  util.on('lay-on', {
    'reg-get-vercode': sms.send
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
      App.showError(formEl, { field: 'agreement', message: '请阅读并勾选同意《用户协议》和《隐私政策》' });
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
        sms.countdown.clear();
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
