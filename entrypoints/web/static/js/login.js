/* The sign-in page: two tabs on one form, with a password or with an SMS code (the default on a phone) */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('login-form');
  var captcha = App.captcha(form);
  var mobile = form.elements.namedItem('mobile');
  var password = form.elements.namedItem('password');
  var tabs = Array.prototype.slice.call(form.querySelectorAll('[role="tab"]'));
  var panels = form.querySelectorAll('[data-mode-panel]');
  var captchaInput = form.elements.namedItem('captcha');
  var NARROW = '(max-width: 767px)';

  function mode() { return form.getAttribute('data-mode'); }

  // only the current tab's fields are checked: the other tab's lay-verify is put aside
  function setVerify(input, on) {
    if (on && input.hasAttribute('data-verify')) {
      input.setAttribute('lay-verify', input.getAttribute('data-verify'));
    } else if (!on && input.hasAttribute('lay-verify')) {
      input.setAttribute('data-verify', input.getAttribute('lay-verify'));
      input.removeAttribute('lay-verify');
    }
  }

  function show(next, focus, keepBanners) {
    form.setAttribute('data-mode', next);
    if (!keepBanners) App.clearErrors(form); // kept on opening: the page before may have left a message
    tabs.forEach(function (tab) {
      var on = tab.getAttribute('data-mode') === next;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    Array.prototype.forEach.call(panels, function (panel) {
      var on = panel.getAttribute('data-mode-panel') === next;
      panel.hidden = !on;
      Array.prototype.forEach.call(panel.querySelectorAll('input'), function (input) { setVerify(input, on); });
    });
    setVerify(captchaInput, next === 'password'); // with an SMS code the captcha is only asked for with the code
  }

  tabs.forEach(function (tab, i) {
    tab.disabled = false;
    tab.addEventListener('click', function () { show(tab.getAttribute('data-mode'), false); });
    tab.addEventListener('keydown', function (event) { // the arrow keys move between tabs (WAI-ARIA tabs)
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      event.preventDefault();
      show(tabs[(i + 1) % tabs.length].getAttribute('data-mode'), true);
    });
  });

  // just signed up or reset the password: the mobile is filled in, the password is next
  if (App.flashed && App.flashed.mobile) {
    show('password', false, true);
    mobile.value = App.flashed.mobile;
    password.focus();
  } else {
    show(window.matchMedia && window.matchMedia(NARROW).matches ? 'sms' : 'password', false, true);
  }

  var sms = App.smsSender({
    form: form,
    button: document.getElementById('login-get-vercode'),
    endpoint: '/api/send_login_sms',
    purpose: 'login',
    captcha: captcha,
    before: function () { return App.validate('#login-mobile'); }
  });

  App.submit({
    form: form,
    filter: 'login-submit',
    endpoint: function () { return mode() === 'sms' ? '/api/login_sms' : '/api/login'; },
    payload: function (field) {
      var remember = form.elements.namedItem('remember').checked;
      if (mode() === 'sms') {
        return {
          mobile: String(field.mobile || '').trim(),
          vercode: String(field.vercode || '').trim(),
          remember: remember,
          agreement: form.elements.namedItem('agreement').checked
        };
      }
      if (captcha.failed()) return null;
      return {
        mobile: String(field.mobile || '').trim(),
        password: field.password || '',
        captcha: captcha.value(),
        captcha_uuid: captcha.uuid(),
        remember: remember
      };
    },
    success: function (data) {
      sms.countdown.clear();
      var go = function () { window.location.assign(App.sameOriginTarget(form.getAttribute('data-next'))); };
      if (data.deletion_cancelled) {
        // signed in during the cool-off: the deletion is undone; say so before leaving
        App.confirm(data.message, {
          title: App.say('page.deletion_cancelled_title'), ok: App.say('page.got_it'), cancel: false, icon: 1
        }).then(go);
      } else {
        go();
      }
      return true; // stays busy until the page is left
    },
    failure: function (res) {
      if (mode() === 'sms') return false; // beside the field the server names (code, agreement) or in the banner
      captcha.renew(); // a captcha is used once: a new one after a failure
      if (res.data.field) return false; // beside the field
      // wrong mobile or password (a locked account answers so too), too many tries, unavailable: the banner, and the focus back on
      // the password to try again
      App.banner(form, res.data.message, 'error');
      password.select();
      password.focus();
      return true;
    }
  });
});
