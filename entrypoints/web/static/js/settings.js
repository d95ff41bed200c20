/* Settings: the nickname, the password (changed, or set for the first time), a new mobile, signing out
   everywhere */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var nicknameForm = document.getElementById('nickname-form');
  var passwordForm = document.getElementById('password-form');
  var signOutButton = document.getElementById('sign-out-everywhere');

  App.submit({
    form: nicknameForm,
    filter: 'nickname-submit',
    endpoint: '/api/account/nickname',
    signedIn: true,
    payload: function (field) {
      return { nickname: String(field.nickname || '').trim() };
    },
    success: function (data) {
      var nickname = String(data.nickname || '');
      nicknameForm.elements.namedItem('nickname').value = nickname;
      // the header's nickname follows (textContent: no HTML parsed)
      var names = document.querySelectorAll('.nav-user-name');
      for (var i = 0; i < names.length; i++) names[i].textContent = nickname;
      App.banner(nicknameForm, App.say('page.nickname_changed', { nickname: nickname }), 'notice');
    }
  });

  // an account without a password (made by signing in with an SMS code) sets its first one with a code sent to
  // its own mobile: a signed-in browser alone is not proof enough to give the account a password
  var passwordCodeButton = document.getElementById('password-get-vercode');
  var passwordSender = null;
  if (passwordCodeButton) {
    passwordSender = App.smsSender({
      form: passwordForm,
      button: passwordCodeButton,
      endpoint: '/api/account/password/send_code',
      purpose: 'set_password',
      captcha: App.captcha(passwordForm),
      mobile: false,
      before: function () {
        return App.validate('#settings-password, #settings-password-confirm') && App.checkNewPassword(passwordForm);
      }
    });
  }

  App.submit({
    form: passwordForm,
    filter: 'password-submit',
    endpoint: '/api/account/password',
    signedIn: true,
    payload: function (field) {
      var body = { password: field.password || '', confirmPassword: field.confirmPassword || '' };
      if (passwordForm.elements.namedItem('currentPassword')) body.currentPassword = field.currentPassword || '';
      if (passwordForm.elements.namedItem('vercode')) body.vercode = String(field.vercode || '').trim();
      return body;
    },
    success: function (data) {
      if (passwordSender) passwordSender.countdown.clear();
      // this browser has a new session (and a new CSRF token): reload the page, the outcome shown in the form
      App.flash(data.message || App.say('page.password_changed'), { form: 'password-form' });
      window.location.reload();
      return true;
    }
  });

  // a new mobile: the owner proves the current mobile with a code sent to it (and the current password, when the
  // account has one), and the new mobile with a code sent to that
  var mobileForm = document.getElementById('mobile-form');
  var captcha = App.captcha(mobileForm);
  var senders = [App.smsSender({
    form: mobileForm,
    button: document.getElementById('mobile-get-vercode'),
    endpoint: '/api/account/mobile/send_code',
    purpose: 'change_mobile',
    captcha: captcha,
    before: function () { return App.validate('#settings-new-mobile'); }
  })];
  senders.push(App.smsSender({
    form: mobileForm,
    button: document.getElementById('mobile-get-current-code'),
    endpoint: '/api/account/mobile/send_current_code',
    purpose: 'change_mobile_current',
    captcha: captcha,
    mobile: false,
    codeField: 'currentVercode',
    before: function () { return true; }
  }));

  App.submit({
    form: mobileForm,
    filter: 'mobile-submit',
    endpoint: '/api/account/mobile',
    signedIn: true,
    payload: function (field) {
      var body = { mobile: String(field.mobile || '').trim(), vercode: String(field.vercode || '').trim() };
      if (mobileForm.elements.namedItem('currentPassword')) body.currentPassword = field.currentPassword || '';
      body.currentVercode = String(field.currentVercode || '').trim();
      return body;
    },
    success: function (data) {
      senders.forEach(function (sender) { sender.countdown.clear(); });
      // this browser has a new session: reload the page, the outcome shown in the form
      App.flash(data.message || App.say('page.mobile_changed'), { form: 'mobile-form' });
      window.location.reload();
      return true;
    }
  });

  var banner = document.getElementById('sessions-banner');
  signOutButton.addEventListener('click', function () {
    var title = App.say('page.everywhere_title');
    App.confirm(App.say('page.everywhere_question'), { title: title, ok: title }).then(function (yes) {
      if (!yes) return;
      banner.textContent = '';
      App.busy(signOutButton, true);
      App.api('/api/account/sign_out_everywhere', {}).then(function (res) {
        if (App.ok(res) || res.status === 401) {
          // signed out everywhere, or not signed in any more: to the sign-in page either way
          App.flash(App.say(App.ok(res) ? 'page.signed_out_everywhere' : 'login_required'));
          window.location.assign('/login');
          return;
        }
        App.busy(signOutButton, false);
        banner.textContent = res.data.message || App.say('page.failed');
      });
    });
  });
  App.busy(signOutButton, false);
});
