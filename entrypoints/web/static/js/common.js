/*
 * 各页面共用的小工具：window.App
 * 依赖：layui.js（layer 用于提示）。本文件不含任何内联脚本所需的东西，可在严格 CSP 下运行。
 */
(function (window, document) {
  'use strict';

  /*
   * layui 用 new Function 解析 lay-options 属性（即使属性不存在也会解析 "{}"），
   * 在不含 'unsafe-eval' 的 CSP 下每次都会报违规。本站不使用 lay-options 的
   * 对象字面量写法，这里换成不求值的解析：没有属性 → {}，否则只接受 JSON。
   */
  (function patchLayOptions() {
    var layui = window.layui;
    var lay = layui && layui.lay;
    if (!lay || typeof lay.options !== 'function') return;
    lay.options = function (elem, opts) {
      opts = typeof opts === 'object' && opts ? opts : { attr: opts };
      if (!elem || elem === document) return {};
      var name = opts.attr || 'lay-options';
      var value = lay(elem).attr(name);
      if (!value) return {};
      try {
        var parsed = JSON.parse(value);
        return parsed && typeof parsed === 'object' ? parsed : {};
      } catch (e) {
        layui.hint().error(name + '="' + value + '" 需为 JSON（严格 CSP 下不执行脚本）', 'error');
        return {};
      }
    };
  })();

  var NETWORK_MESSAGE = '网络异常，请稍后再试';
  var DEFAULT_ERROR = '操作失败，请稍后再试';

  function escape(value) {
    return String(value == null ? '' : value)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function fallback(status) {
    return { code: status || -1, error: 'network', message: NETWORK_MESSAGE };
  }

  /* POST JSON，始终 resolve 为 {status, data}，从不 reject。 */
  function api(path, body) {
    return window.fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': csrfToken()
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = JSON.parse(text);
        } catch (e) {
          data = null;
        }
        if (!data || typeof data !== 'object' || Array.isArray(data)) {
          data = fallback(response.status);
        }
        return { status: response.status, data: data };
      }, function () {
        return { status: response.status, data: fallback(response.status) };
      });
    }, function () {
      return { status: 0, data: fallback(0) };
    });
  }

  /* 请求成功：HTTP 2xx 且 code === 0 */
  function ok(result) {
    return !!result && result.status >= 200 && result.status < 300 &&
      !!result.data && Number(result.data.code) === 0;
  }

  function hex(bytes) {
    var out = '';
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] + 0x100).toString(16).slice(1);
    }
    return out;
  }

  function newUuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === 'function') {
      return c.randomUUID();
    }
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; // 版本 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 变体
    var h = hex(b);
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' +
      h.slice(16, 20) + '-' + h.slice(20);
  }

  function reloadCaptcha(img) {
    var uuid = newUuid();
    if (img) {
      img.dataset.uuid = uuid;
      img.src = '/get_captcha?captcha_uuid=' + encodeURIComponent(uuid);
    }
    return uuid;
  }

  /* 点击或键盘（回车/空格）刷新图片验证码 */
  function bindCaptcha(img, onReload) {
    if (!img) return;
    function reload() {
      reloadCaptcha(img);
      if (typeof onReload === 'function') onReload();
    }
    img.addEventListener('click', reload);
    img.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        reload();
      }
    });
    reloadCaptcha(img);
  }

  function msg(text, options) {
    var layer = window.layui && window.layui.layer;
    var safe = escape(text || DEFAULT_ERROR);
    if (layer) {
      layer.msg(safe, options || {});
    } else {
      window.alert(String(text || DEFAULT_ERROR));
    }
  }

  function alertBox(text, options) {
    var layer = window.layui && window.layui.layer;
    if (layer) {
      layer.alert(escape(text || DEFAULT_ERROR), options || {});
    } else {
      window.alert(String(text || DEFAULT_ERROR));
    }
  }

  function findField(form, name) {
    if (!form || !name || typeof name !== 'string') return null;
    var elements = form.elements;
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (el.name === name && el.type !== 'hidden' && el.tagName !== 'BUTTON') {
        return el;
      }
    }
    return null;
  }

  function clearFieldError(item) {
    if (!item) return;
    var olds = item.querySelectorAll('.field-error');
    for (var i = 0; i < olds.length; i++) {
      olds[i].parentNode.removeChild(olds[i]);
    }
    item.classList.remove('has-error');
  }

  /* 清除某个字段的提示 */
  function clearFieldErrorByName(form, name) {
    var input = findField(form, name);
    if (input) clearFieldError(input.closest('.layui-form-item') || input.parentNode);
  }

  function clearErrors(form) {
    if (!form) return;
    var items = form.querySelectorAll('.has-error, .field-error');
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      if (el.classList.contains('field-error')) {
        if (el.parentNode) el.parentNode.removeChild(el);
      } else {
        el.classList.remove('has-error');
      }
    }
  }

  /* 把消息显示在字段下方；字段不存在时用 layer.msg（已转义）。 */
  function showError(form, data) {
    data = data || {};
    var text = data.message || DEFAULT_ERROR;
    var input = findField(form, data.field);
    if (!input) {
      msg(text, { icon: 2 });
      return;
    }
    var item = input.closest('.layui-form-item') || input.parentNode;
    clearFieldError(item);
    var div = document.createElement('div');
    div.className = 'field-error';
    div.setAttribute('role', 'alert');
    div.textContent = text;
    item.appendChild(div);
    item.classList.add('has-error');

    var clear = function () {
      clearFieldError(item);
      input.removeEventListener('input', clear);
      input.removeEventListener('change', clear);
    };
    input.addEventListener('input', clear);
    input.addEventListener('change', clear);

    if (input.type === 'checkbox') {
      // layui 把原生复选框隐藏了，让用户能看到提示即可
      if (item.scrollIntoView) item.scrollIntoView({ block: 'nearest' });
    } else {
      try { input.focus(); } catch (e) { /* 忽略 */ }
    }
  }

  function busy(button, on) {
    if (!button) return;
    if (on) {
      button.classList.add('layui-btn-disabled');
      button.setAttribute('disabled', 'disabled');
      button.setAttribute('aria-busy', 'true');
    } else {
      button.classList.remove('layui-btn-disabled');
      button.removeAttribute('disabled');
      button.removeAttribute('aria-busy');
    }
  }

  /*
   * 获取短信验证码按钮的倒计时。结束时刻存在 localStorage（key 按用途区分，如
   * sms-countdown-until:register），刷新页面后继续倒计时、按钮保持禁用。
   * 返回 {counting(), sending(on), start(seconds), clear()}。
   */
  var COUNTDOWN_MAX = 24 * 3600; // 最多 24 小时，防止存了离谱的值

  function smsCountdown(button, key, label) {
    var until = 0;
    var timer = null;
    var sendingNow = false;

    function storeGet() {
      try {
        return Number(window.localStorage.getItem(key)) || 0;
      } catch (e) {
        return 0;
      }
    }

    function storeSet(value) {
      try {
        if (value) {
          window.localStorage.setItem(key, String(value));
        } else {
          window.localStorage.removeItem(key);
        }
      } catch (e) { /* 隐私模式等：只在本页倒计时 */ }
    }

    function render() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        // 长时间限制（如当日次数用完）按分钟显示
        button.textContent = left > 120 ? Math.ceil(left / 60) + ' 分钟后重发' : left + ' 秒后重发';
        busy(button, true);
        return;
      }
      if (timer) {
        window.clearInterval(timer);
        timer = null;
      }
      if (until) {
        until = 0;
        storeSet(0);
      }
      button.textContent = label;
      busy(button, sendingNow);
    }

    function start(seconds) {
      seconds = Math.ceil(Number(seconds));
      if (!(seconds > 0)) return;
      until = Date.now() + Math.min(seconds, COUNTDOWN_MAX) * 1000;
      storeSet(until);
      if (timer) window.clearInterval(timer);
      timer = window.setInterval(render, 1000);
      render();
    }

    (function resume() {
      var left = (storeGet() - Date.now()) / 1000;
      if (left > 0 && left <= COUNTDOWN_MAX) {
        start(left);
      } else {
        storeSet(0);
      }
    })();

    return {
      counting: function () {
        return until > Date.now();
      },
      sending: function (on) {
        sendingNow = !!on;
        render();
      },
      start: start,
      clear: function () {
        until = Date.now() - 1;
        render();
      }
    };
  }

  /* 会话已失效（401）：去登录，登录后回到当前页 */
  function toLogin() {
    var here = window.location.pathname + window.location.search;
    window.location.href = '/login?next=' + encodeURIComponent(here);
  }

  /* 手机号规则：覆盖 layui 自带的 phone 规则 */
  var MOBILE_RE = /^1[3-9]\d{9}$/;
  function phoneRule(value) {
    if (value && !MOBILE_RE.test(String(value).trim())) {
      return '手机号格式不正确';
    }
  }

  /* 字符数按码位计（emoji 算 1 个） */
  function codePoints(s) {
    return Array.from(String(s == null ? '' : s)).length;
  }

  /* 注册、忘记密码、设置共用的 form.verify 规则；confirmPassword 与 passwordInput 比较 */
  function formRules(passwordInput) {
    return {
      phone: phoneRule,
      nickname: function (value) {
        var n = codePoints(String(value || '').trim());
        if (n < 1 || n > 32) {
          return '昵称须为 1-32 个字符';
        }
      },
      password: function (value) {
        var n = codePoints(value);
        if (n < 8 || n > 128) {
          return '密码须为 8-128 个字符';
        }
      },
      confirmPassword: function (value) {
        if (value !== passwordInput.value) {
          return '两次密码输入不一致';
        }
      }
    };
  }

  /*
   * 图片验证码 + 获取短信验证码（注册、忘记密码共用）。
   * opts: {form, formEl, mobileSelector, captchaInput, captchaImg, button, endpoint, countdownKey, label}
   * 返回 {send, countdown}：send 交给 lay-on；表单提交成功后调 countdown.clear()。
   */
  function smsSender(opts) {
    var form = opts.form;
    var formEl = opts.formEl;
    var captchaInput = opts.captchaInput;
    var captchaImg = opts.captchaImg;
    var mobileInput = document.querySelector(opts.mobileSelector);
    var sending = false;

    bindCaptcha(captchaImg, function () {
      captchaInput.value = '';
    });

    function renewCaptcha() {
      captchaInput.value = '';
      reloadCaptcha(captchaImg);
    }

    // 倒计时存 localStorage，刷新页面后继续
    var countdown = smsCountdown(opts.button, opts.countdownKey, opts.label);

    function send() {
      if (sending || countdown.counting()) return;
      clearErrors(formEl);
      if (!form.validate(opts.mobileSelector)) return;

      var captcha = captchaInput.value.trim();
      if (!captcha) {
        showError(formEl, { field: 'captcha', message: '请先填写图片验证码' });
        return;
      }

      sending = true;
      countdown.sending(true);
      api(opts.endpoint, {
        mobile: mobileInput.value.trim(),
        captcha: captcha,
        captcha_uuid: captchaImg.dataset.uuid || ''
      }).then(function (res) {
        sending = false;
        countdown.sending(false);
        // 图片验证码只能用一次：无论成败都换一张
        renewCaptcha();
        var data = res.data || {};
        if (ok(res)) {
          msg(data.message || '验证码已发送', { icon: 1 });
          countdown.start(60);
          return;
        }
        if (res.status === 429 && data.retry_after) {
          countdown.start(data.retry_after);
        }
        showError(formEl, data);
      });
    }

    return { send: send, countdown: countdown };
  }

  window.App = {
    escape: escape,
    csrfToken: csrfToken,
    api: api,
    ok: ok,
    newUuid: newUuid,
    reloadCaptcha: reloadCaptcha,
    bindCaptcha: bindCaptcha,
    msg: msg,
    alert: alertBox,
    findField: findField,
    clearErrors: clearErrors,
    clearFieldError: clearFieldErrorByName,
    showError: showError,
    busy: busy,
    smsCountdown: smsCountdown,
    toLogin: toLogin,
    phoneRule: phoneRule,
    MOBILE_RE: MOBILE_RE,
    codePoints: codePoints,
    formRules: formRules,
    smsSender: smsSender
  };
})(window, document);
