/*
 * 获取短信验证码（注册、忘记密码）：先核对前面的字段（含服务器对新密码的检查）和图片验证码，再发送；
 * 发送后按 App.rules.smsCooldown 倒计时。结束时刻存在 localStorage（sms-countdown-until:<用途>），
 * 刷新页面后继续倒计时、按钮保持禁用。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var LONGEST = 24 * 3600; // 最多 24 小时，防止存了离谱的值

  function countdown(button, key) {
    var label = button.textContent;
    var until = 0;
    var timer = null;
    var sending = false;

    function store(value) {
      try {
        if (value) window.localStorage.setItem(key, String(value));
        else window.localStorage.removeItem(key);
      } catch (e) { /* 隐私模式等：只在本页倒计时 */ }
    }

    function render() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        // 长时间限制（如当日次数用完）按分钟显示
        button.textContent = left > 120 ? Math.ceil(left / 60) + ' 分钟后重发' : left + ' 秒后重发';
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
    } catch (e) { /* 同上 */ }
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
   * opts: {form, button, endpoint, purpose, captcha（App.captcha 的返回值）, before() → Promise<boolean>,
   *        mobile（手机号字段名，默认 mobile；false：发到本账号的手机号）, codeField（发送后聚焦，默认 vercode）}
   * 返回 {countdown}：注册或重置成功后调 countdown.clear()。
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
          App.fieldError(form, 'captcha', '请先填写图片验证码');
          return false;
        }
        timer.sending(true);
        var body = { captcha: opts.captcha.value(), captcha_uuid: opts.captcha.uuid() };
        // 发给本账号自己的手机号（换绑、注销）时请求里没有手机号
        if (opts.mobile !== false) body.mobile = form.elements.namedItem(opts.mobile || 'mobile').value.trim();
        return App.api(opts.endpoint, body).then(function (res) {
          timer.sending(false);
          opts.captcha.renew(); // 图片验证码只能用一次：无论成败都换一张
          if (App.ok(res)) {
            App.banner(form, res.data.message || '验证码已发送', 'notice');
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
