/*
 * Forms: the checks (every number from App.rules), the one way to submit (App.submit), the show-password button
 * and the password strength hint. layui's form.verify decides when to check; on an error this puts the message
 * beside the field (the rule returns true, so layui shows no floating tip).
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var rules = App.rules;

  /* Characters counted by code point (an emoji is one), as the server counts them */
  function length(value) {
    return Array.from(String(value == null ? '' : value)).length;
  }

  var MOBILE = new RegExp('^(?:' + rules.mobilePattern + ')$');

  var checks = {
    required: function (value, input) {
      if (input.type === 'checkbox' ? !input.checked : !String(value).trim()) {
        return input.getAttribute('data-reqtext') || App.say('page.required');
      }
    },
    mobile: function (value) {
      if (!MOBILE.test(String(value).trim())) return App.say('page.mobile_format');
    },
    nickname: function (value) {
      var n = length(String(value).trim());
      if (n < 1 || n > rules.nicknameMax) return App.say('page.nickname_length', { max: rules.nicknameMax });
    },
    password: function (value) {
      var n = length(value);
      if (n < rules.passwordMin || n > rules.passwordMax) {
        return App.say('page.password_length', { min: rules.passwordMin, max: rules.passwordMax });
      }
    },
    confirmPassword: function (value, input) {
      var password = input.form.elements.namedItem('password');
      if (password && value !== password.value) return App.say('password_mismatch');
    }
  };

  /* The rules given to layui: on an error, the message beside the field and true (layui pops a tip for strings) */
  function verifier(name) {
    return function (_trimmed, input) {
      var message = checks[name](input.type === 'checkbox' ? '' : input.value, input);
      if (message) {
        App.fieldError(input.form, input, message);
        return true;
      }
      App.clearFieldError(input.form, input);
    };
  }

  var verifiers = {};
  Object.keys(checks).forEach(function (name) {
    verifiers[name] = verifier(name);
  });

  /* Checks some of a form's fields (before asking for an SMS code, say); whether all of them pass */
  App.validate = function (selector) {
    return window.layui.form.validate(selector);
  };

  /*
   * Every form submits through here. options:
   *   form (the element), filter (lay-filter), endpoint (or a function returning it: one form, two ways to
   *     submit, like the sign-in page's two tabs),
   *   payload(field) -> the request body, or null (already explained, nothing sent); may return a Promise
   *   success(data) -> true when the page is about to be left: the button stays busy
   *   failure(res)  -> true when handled; otherwise shown beside the field or in the banner
   *   signedIn      -> a 401 goes to the sign-in page (the session ended elsewhere)
   * The submit button is enabled once bound: a form cannot be submitted before its script is ready.
   */
  App.submit = function (options) {
    var form = options.form;
    var button = form.querySelector('[lay-filter="' + options.filter + '"]');
    var pending = false;

    function release() {
      pending = false;
      App.busy(button, false);
    }

    window.layui.form.on('submit(' + options.filter + ')', function (obj) {
      if (pending) return false;
      pending = true;
      App.clearErrors(form);
      Promise.resolve(options.payload(obj.field)).then(function (body) {
        if (!body) {
          pending = false;
          return;
        }
        App.busy(button, true);
        var endpoint = typeof options.endpoint === 'function' ? options.endpoint() : options.endpoint;
        return App.api(endpoint, body).then(function (res) {
          if (App.ok(res)) {
            if (options.success(res.data) !== true) release();
            return;
          }
          release();
          if (res.status === 401 && options.signedIn) {
            App.flash((res.data && res.data.message) || App.say('login_required'));
            App.toLogin();
            return;
          }
          if (options.failure && options.failure(res) === true) return;
          App.showError(form, res.data);
        });
      });
      return false; // not the browser's own submission
    });
    App.busy(button, false);
  };

  /* Show or hide the password: a real button, usable from the keyboard, aria-pressed telling its state */
  function bindToggle(button) {
    var input = document.getElementById(button.getAttribute('aria-controls'));
    var icon = button.querySelector('.layui-icon');
    button.disabled = false;
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
      button.setAttribute('aria-label', App.say(show ? 'page.hide_password' : 'page.show_password'));
      icon.className = 'layui-icon ' + (show ? 'layui-icon-eye' : 'layui-icon-eye-invisible');
    });
  }

  /* Password strength: length and kinds of character (lower, upper, digit, other); updated as the person types,
     read politely by screen readers. 0 weak, 1 medium, 2 strong. */

  function strength(value) {
    var kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter(function (re) {
      return re.test(value);
    }).length;
    var n = length(value);
    if (n < rules.passwordMin || kinds < 2) return 0;
    return n >= 12 && kinds >= 3 ? 2 : 1;
  }

  function bindStrength(input) {
    var hint = document.getElementById(input.id + '-hint');
    if (!hint) return;
    var meter = document.createElement('span');
    meter.className = 'password-strength';
    meter.setAttribute('aria-live', 'polite');
    hint.appendChild(document.createTextNode(' '));
    hint.appendChild(meter);
    input.addEventListener('input', function () {
      meter.textContent = input.value ?
        App.say('page.strength', { level: App.say('page.strength.' + strength(input.value)) }) : '';
    });
  }

  /*
   * The server's check of a new password (length, common passwords), made before an SMS code is spent: when the
   * password field is left after a change, and before a code is asked for. Each value is asked about once.
   */
  var checked = { value: null, ok: false, data: null };

  function refuse(form, data, focus) {
    if (!App.fieldError(form, data.field, data.message, { focus: focus })) App.banner(form, data.message, 'error');
  }

  App.checkNewPassword = function (form, options) {
    var focus = !options || options.focus !== false;
    var value = form.elements.namedItem('password').value;
    if (checked.value === value) {
      if (!checked.ok) refuse(form, checked.data, focus);
      return Promise.resolve(checked.ok);
    }
    return App.api('/api/check_password', { password: value }).then(function (res) {
      var ok = App.ok(res);
      if (ok || res.data.field === 'password') checked = { value: value, ok: ok, data: res.data };
      if (!ok) refuse(form, res.data, focus);
      return ok;
    });
  };

  window.layui.use('form', function () {
    window.layui.form.verify(verifiers);
  });

  var toggles = document.querySelectorAll('.password-toggle');
  for (var i = 0; i < toggles.length; i++) bindToggle(toggles[i]);

  var fresh = document.querySelectorAll('input[autocomplete="new-password"][name="password"]');
  for (var j = 0; j < fresh.length; j++) bindStrength(fresh[j]);
})(window, document);
