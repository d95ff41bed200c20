/*
 * Asking for an SMS code (sign-up, forgotten password and the rest): the fields before it are checked first
 * (with the server's check of a new password) and the image captcha, then the code is sent; after that the
 * button counts down App.rules.smsCooldown. The end is kept in localStorage (sms-countdown-until:<purpose>), so a
 * reloaded page goes on counting with the button disabled.
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var LONGEST = 24 * 3600; // at most a day, in case an absurd value was stored

  function countdown(button, key) {
    var label = button.textContent;
    var until = 0;
    var timer = null;
    var sending = false;

    function store(value) {
      try {
        if (value) window.localStorage.setItem(key, String(value));
        else window.localStorage.removeItem(key);
      } catch (e) { /* private browsing and the like: the countdown lives on this page only */ }
    }

    function render() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        // a long wait (the day's codes used up) is shown in minutes
        button.textContent = left > 120 ? App.say('page.resend_in_minutes', { n: Math.ceil(left / 60) })
          : App.say('page.resend_in_seconds', { n: left });
        button.disabled = true;
        return;
      }
      if (timer) {
        window.clearInterval(timer);
        timer = null;
      }
      if (until) {
        until = 0;
        store(0);
      }
      button.textContent = sending ? button.getAttribute('data-busy-label') : label;
      button.disabled = sending;
    }

    function start(seconds) {
      seconds = Math.ceil(Number(seconds));
      if (!(seconds > 0)) return;
      until = Date.now() + Math.min(seconds, LONGEST) * 1000;
      store(until);
      if (timer) window.clearInterval(timer);
      timer = window.setInterval(render, 1000);
      render();
    }

    var stored = 0;
    try {
      stored = Number(window.localStorage.getItem(key)) || 0;
    } catch (e) { /* as above */ }
    var left = (stored - Date.now()) / 1000;
    if (left > 0 && left <= LONGEST) start(left);
    else store(0);
    render();

    return {
      counting: function () { return until > Date.now(); },
      sending: function (on) { sending = !!on; render(); },
      start: start,
      clear: function () { until = Date.now() - 1; render(); }
    };
  }

  /*
   * opts: {form, button, endpoint, purpose, captcha (what App.captcha returned), before() -> Promise<boolean>,
   *        mobile (the mobile field's name, mobile by default; false: to the account's own mobile),
   *        codeField (focused once sent, vercode by default)}
   * Returns {countdown}: call countdown.clear() once the form has succeeded.
   */
  App.smsSender = function (opts) {
    var form = opts.form;
    var timer = countdown(opts.button, 'sms-countdown-until:' + opts.purpose);
    var busy = false;

    function send() {
      if (busy || timer.counting()) return;
      busy = true;
      App.clearErrors(form);
      Promise.resolve(opts.before()).then(function (ready) {
        if (!ready || opts.captcha.failed()) return false;
        if (!opts.captcha.value()) {
          App.fieldError(form, 'captcha', App.say('page.captcha_first'));
          return false;
        }
        timer.sending(true);
        var body = { captcha: opts.captcha.value(), captcha_uuid: opts.captcha.uuid() };
        // to the account's own mobile (changing it, deleting the account) the request carries no mobile
        if (opts.mobile !== false) body.mobile = form.elements.namedItem(opts.mobile || 'mobile').value.trim();
        return App.api(opts.endpoint, body).then(function (res) {
          timer.sending(false);
          opts.captcha.renew(); // a captcha is used once: a new one whatever the answer
          if (App.ok(res)) {
            App.banner(form, res.data.message || App.say('page.sms_sent'), 'notice');
            timer.start(App.rules.smsCooldown);
            form.elements.namedItem(opts.codeField || 'vercode').focus();
            return;
          }
          if (res.status === 429 && res.data.retry_after) timer.start(res.data.retry_after);
          App.showError(form, res.data);
        });
      }).then(function () {
        busy = false;
      });
    }

    opts.button.addEventListener('click', send);
    return { countdown: timer };
  };
})(window, document);
