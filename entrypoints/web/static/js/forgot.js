/* Forgotten password: an SMS code proves the mobile, then a new password */
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
      App.flash(data.message || App.say('password_reset'),
        { mobile: form.elements.namedItem('mobile').value.trim() });
      window.location.assign('/login');
      return true;
    }
  });
});
