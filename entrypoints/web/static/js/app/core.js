/*
 * window.App 的基础：页面规则、JSON 请求、登录后的跳转目标。依赖 layui.js；其余 app/*.js 依赖本文件。
 * 各文件只做一件事：core（请求与规则）、feedback（提示与确认）、forms（校验与提交）、captcha、sms、nav。
 */
(function (window, document) {
  'use strict';

  var layui = window.layui;
  var App = window.App = window.App || {};

  /*
   * layui 用 new Function 解析 lay-options 属性（即使属性不存在也会解析 "{}"），在不含 'unsafe-eval'
   * 的 CSP 下每次都会报违规。本站不使用 lay-options 的对象字面量写法：没有属性 → {}，否则只接受 JSON。
   */
  (function patchLayOptions() {
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

  /* 服务器按 domain/rules.py 渲染的规则（长度、冷却时间、手机号格式）：脚本从不自己写这些数字 */
  App.rules = (function () {
    var block = document.getElementById('page-rules');
    try {
      return JSON.parse(block ? block.textContent : '{}') || {};
    } catch (e) {
      return {};
    }
  })();

  App.escape = function (value) {
    return layui.util.escape(value == null ? '' : String(value));
  };

  var NETWORK = { error: 'network', message: '网络异常，请检查网络后再试' };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function fallback(status) {
    return { code: status || -1, error: NETWORK.error, message: NETWORK.message, field: null };
  }

  /* POST JSON；始终 resolve 为 {status, data}，从不 reject（网络错误时 status 为 0） */
  App.api = function (path, body) {
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
      return response.json().then(function (data) {
        var usable = data && typeof data === 'object' && !Array.isArray(data);
        return { status: response.status, data: usable ? data : fallback(response.status) };
      }, function () {
        return { status: response.status, data: fallback(response.status) };
      });
    }, function () {
      return { status: 0, data: fallback(0) };
    });
  };

  /* 请求成功：HTTP 2xx 且 code === 0 */
  App.ok = function (result) {
    return !!result && result.status >= 200 && result.status < 300 &&
      !!result.data && Number(result.data.code) === 0;
  };

  /*
   * 登录后去哪里：只接受本站的路径。服务器已经核过（data-next），这里再核一次：解析成 URL 后
   * 必须同源，且路径不以 // 开头（/.//evil、/%2e//evil 之类解析后会变成 //evil，浏览器当作别的主机）。
   * 返回完整的本站 URL，浏览器无从再作别的解释。
   */
  App.sameOriginTarget = function (value) {
    var home = window.location.origin + '/';
    if (typeof value !== 'string' || !/^\/(?![\/\\])/.test(value) || /[\u0000-\u0020\u007f\\]/.test(value)) {
      return home;
    }
    var url;
    try {
      url = new URL(value, window.location.origin);
    } catch (e) {
      return home;
    }
    if (url.origin !== window.location.origin || /^\/[\/\\]/.test(url.pathname)) return home;
    return url.href;
  };

  /* 会话已失效：去登录，登录后回到当前页 */
  App.toLogin = function () {
    var here = window.location.pathname + window.location.search;
    window.location.assign('/login?next=' + encodeURIComponent(here));
  };
})(window, document);
