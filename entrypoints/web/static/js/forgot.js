/* 忘记密码：短信验证码证明手机号，设置新密码 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('forgot-form');
  var captcha = App.captcha(form);
  var password = form.elements.namedItem('password');

  password.addEventListener('change', function () {
    if (App.validate('#forgot-password')) App.checkNewPassword(form, { focus: false });
  });

  var sms = App.smsSender({
    form: form,
    button: document.getElementById('forgot-get-vercode'),
    endpoint: '/api/send_reset_sms',
    purpose: 'reset_password',
    captcha: captcha,
    before: function () {
      return App.validate('#forgot-cellphone, #forgot-password, #forgot-password-confirm') &&
        App.checkNewPassword(form);
    }
  });

  App.submit({
    form: form,
    filter: 'forgot-submit',
    endpoint: '/api/reset_password',
    payload: function (field) {
      return {
        mobile: String(field.mobile || '').trim(),
        vercode: String(field.vercode || '').trim(),
        password: field.password || '',
        confirmPassword: field.confirmPassword || ''
      };
    },
    success: function (data) {
      sms.countdown.clear();
      App.flash(data.message || '密码已重置，请使用新密码登录',
        { mobile: form.elements.namedItem('mobile').value.trim() });
      window.location.assign('/login');
      return true;
    }
  });
});
