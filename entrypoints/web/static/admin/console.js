/*
 * 管理后台各页共用：window.Console
 * 依赖 layui.js（layer 用于提示与确认）。不依赖 /static/js/common.js；严格 CSP 下运行（无内联脚本、无 eval）。
 */
(function (window, document) {
  'use strict';

  /* layui 用 new Function 解析 lay-options；严格 CSP 下换成只接受 JSON 的解析（本后台不使用 lay-options）。 */
  (function patchLayOptions() {
    var layui = window.layui;
    var lay = layui && layui.lay;
    if (!lay || typeof lay.options !== 'function') return;
    lay.options = function (elem, opts) {
      opts = typeof opts === 'object' && opts ? opts : { attr: opts };
      if (!elem || elem === document) return {};
      var value = lay(elem).attr(opts.attr || 'lay-options');
      if (!value) return {};
      try {
        var parsed = JSON.parse(value);
        return parsed && typeof parsed === 'object' ? parsed : {};
      } catch (e) {
        return {};
      }
    };
  })();

  var NETWORK = '网络异常，请稍后再试';
  var BASE = '/admin';

  function escape(value) {
    return String(value == null ? '' : value).replace(/&/g, '&amp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  /* POST JSON 到 /admin/api/...；始终 resolve 为 {status, data}。 */
  function post(path, body) {
    return window.fetch(BASE + '/api' + path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        return { status: response.status, data: data && typeof data === 'object' ? data : {} };
      }, function () {
        return { status: response.status, data: { message: NETWORK } };
      });
    }, function () {
      return { status: 0, data: { message: NETWORK } };
    });
  }

  function ok(result) {
    return result.status >= 200 && result.status < 300 && Number(result.data.code) === 0;
  }

  function layer() {
    return window.layui && window.layui.layer;
  }

  function msg(text, good) {
    var l = layer();
    if (l) {
      l.msg(escape(text), { icon: good ? 1 : 2 });
    } else {
      window.alert(text);
    }
  }

  function confirm(text, then) {
    var l = layer();
    if (!l) {
      if (window.confirm(text)) then();
      return;
    }
    l.confirm(escape(text), { title: '请确认', btn: ['确定', '取消'] }, function (index) {
      l.close(index);
      then();
    });
  }

  /* 会话已结束（401）：回到登录页 */
  function handleFailure(result) {
    if (result.status === 401) {
      window.location.href = BASE + '/login';
      return;
    }
    msg(result.data.message || '操作失败，请稍后再试', false);
  }

  function busy(button, on) {
    if (!button) return;
    button.disabled = !!on;
    button.classList.toggle('layui-btn-disabled', !!on);
  }

  function bindLogout() {
    var button = document.getElementById('console-logout');
    if (!button) return;
    button.addEventListener('click', function () {
      busy(button, true);
      post('/logout').then(function () {
        window.location.href = BASE + '/login';
      });
    });
  }

  window.Console = {
    escape: escape, post: post, ok: ok, msg: msg, confirm: confirm, handleFailure: handleFailure, busy: busy,
    base: BASE
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', bindLogout);
  } else {
    bindLogout();
  }
})(window, document);
