/*
 * The base of window.App: the page's rules and words, JSON requests, the target after sign-in. Needs layui.js;
 * the other app/*.js files need this one, and so does the operator console (admin/console.js).
 * Each file does one thing: core (requests, rules, words), feedback (messages and confirmations),
 * forms (checks and submission), captcha, sms, nav.
 */
(function (window, document) {
  'use strict';

  var layui = window.layui;
  var App = window.App = window.App || {};

  /*
   * layui parses lay-options attributes with new Function (even "{}" when there is no attribute), which a CSP
   * without 'unsafe-eval' reports as a violation every time. This site never writes lay-options as an object
   * literal: no attribute gives {}, anything else must be JSON.
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
        layui.hint().error(name + '="' + value + '" must be JSON (no script runs under the strict CSP)', 'error');
        return {};
      }
    };
  })();

  function pageData(id) {
    var block = document.getElementById(id);
    try {
      return JSON.parse(block ? block.textContent : '{}') || {};
    } catch (e) {
      return {};
    }
  }

  /* The rules the server rendered from domain/rules.py (lengths, cooldown, mobile format): never numbers of ours */
  App.rules = pageData('page-rules');

  /* The words the server rendered from entrypoints/messages.py: no script writes a sentence of its own */
  App.words = pageData('page-words');

  /* The words for a key, with its {name} placeholders filled from facts (as str.format does on the server) */
  App.say = function (key, facts) {
    var words = Object.prototype.hasOwnProperty.call(App.words, key) ? String(App.words[key]) : key;
    return words.replace(/\{(\w+)\}/g, function (whole, name) {
      return facts && Object.prototype.hasOwnProperty.call(facts, name) ? String(facts[name]) : whole;
    });
  };

  App.escape = function (value) {
    return layui.util.escape(value == null ? '' : String(value));
  };


  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function fallback(status) {
    return { code: status || -1, error: 'network', message: App.say('page.network_error'), field: null };
  }

  /* POST JSON; always resolves to {status, data}, never rejects (status 0 when the network failed) */
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

  /* A success: HTTP 2xx and code === 0 */
  App.ok = function (result) {
    return !!result && result.status >= 200 && result.status < 300 &&
      !!result.data && Number(result.data.code) === 0;
  };

  /*
   * Where to go after sign-in: a path on this site only. The server has vetted it (data-next); this checks again:
   * parsed as a URL it must be same-origin, and its path must not start with // (/.//evil or /%2e//evil become
   * //evil once parsed, which a browser takes for another host). Returns the full URL on this site, which a
   * browser cannot read any other way.
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

  /* The session has ended: to the sign-in page, and back here after signing in */
  App.toLogin = function () {
    var here = window.location.pathname + window.location.search;
    window.location.assign('/login?next=' + encodeURIComponent(here));
  };
})(window, document);
