/*
 * What the console's pages share: window.Console, built on the user pages' core.js (window.App: JSON requests
 * with the CSRF token, the CSP-safe layui patch, the page's words). Needs layui.js (layer for messages and
 * confirmations) and core.js; runs under the strict CSP (no inline script, no eval).
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var BASE = '/admin';

  /* POST JSON to /admin/api/...; always resolves to {status, data} */
  function post(path, body) {
    return App.api(BASE + '/api' + path, body);
  }

  function layer() {
    return window.layui && window.layui.layer;
  }

  function msg(text, good) {
    var l = layer();
    if (l) {
      l.msg(App.escape(text), { icon: good ? 1 : 2 });
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
    var buttons = [App.say('page.ok'), App.say('page.cancel')];
    l.confirm(App.escape(text), { title: App.say('page.confirm_title'), btn: buttons }, function (index) {
      l.close(index);
      then();
    });
  }

  /* The session has ended (401): back to the sign-in page */
  function handleFailure(result) {
    if (result.status === 401) {
      window.location.href = BASE + '/login';
      return;
    }
    msg(result.data.message || App.say('page.failed'), false);
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
    escape: App.escape, post: post, ok: App.ok, msg: msg, confirm: confirm, handleFailure: handleFailure, busy: busy,
    say: App.say, base: BASE
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', bindLogout);
  } else {
    bindLogout();
  }
})(window, document);
