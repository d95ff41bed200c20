/* 注册页 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('register-form');
  var captcha = App.captcha(form);
  var password = form.elements.namedItem('password');

  // 密码在获取短信验证码之前就核对（含常见密码），不让验证码白白花掉
  password.addEventListener('change', function () {
    if (App.validate('#reg-password')) App.checkNewPassword(form, { focus: false });
  });

  var sms = App.smsSender({
    form: form,
    button: document.getElementById('reg-get-vercode'),
    endpoint: '/api/send_register_sms',
    purpose: 'register',
    captcha: captcha,
    before: function () {
      return App.validate('#reg-nickname, #reg-cellphone, #reg-password, #reg-password-confirm') &&
        App.checkNewPassword(form);
    }
  });

  App.submit({
    form: form,
    filter: 'reg-submit',
    endpoint: '/api/register',
    payload: function (field) {
      if (!form.elements.namedItem('agreement').checked) {
        App.fieldError(form, 'agreement', '请先阅读并勾选同意《用户协议》和《隐私政策》');
        return null;
      }
      return {
        nickname: String(field.nickname || '').trim(),
        mobile: String(field.mobile || '').trim(),
        vercode: String(field.vercode || '').trim(),
        password: field.password || '',
        confirmPassword: field.confirmPassword || '',
        agreement: true
      };
    },
    success: function (data) {
      sms.countdown.clear();
      App.flash((data.message || '注册成功，请登录') + '：手机号已填好，请输入密码和图片验证码。',
        { mobile: form.elements.namedItem('mobile').value.trim() });
      window.location.assign('/login');
      return true;
    }
  });
});
