/* The sign-up page */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('register-form');
  var captcha = App.captcha(form);
  var password = form.elements.namedItem('password');

  // the password is checked (common passwords too) before an SMS code is asked for, so no code is wasted
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
        App.fieldError(form, 'agreement', App.say('agreement_required'));
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
      App.flash(App.say('page.registered_prefilled', { message: data.message || App.say('registered') }),
        { mobile: form.elements.namedItem('mobile').value.trim() });
      window.location.assign('/login');
      return true;
    }
  });
});
