/* First setup: the one-time token after the link's # -> the QR code -> a password and a confirmed one-time code
   -> the recovery codes */
(function (window, document) {
  'use strict';
  var C = window.Console;
  var token = window.location.hash.replace(/^#/, '');
  var form = document.getElementById('setup-form');
  var error = document.getElementById('setup-error');
  var done = document.getElementById('setup-done');
  var button = form.querySelector('button[type=submit]');

  // the token stays out of the address bar and the history
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, '', window.location.pathname);
  }

  function show(text) {
    error.textContent = text;
    error.hidden = false;
  }

  if (!token) {
    show(C.say('page.console.token_missing'));
    return;
  }

  C.post('/setup/start', { token: token }).then(function (result) {
    if (!C.ok(result)) {
      show(result.data.message || C.say('page.console.link_invalid'));
      return;
    }
    var data = result.data;
    document.getElementById('setup-username').textContent = data.username;
    var role = data.role === 'admin' ? 'console.role.admin' : 'console.role.auditor';
    document.getElementById('setup-role').textContent = C.say(role);
    document.getElementById('setup-qr').src = data.qr;
    document.getElementById('setup-key').textContent = data.key;
    form.hidden = false;
    form.password.focus();
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.hidden = true;
    if (form.password.value !== form.confirmPassword.value) {
      show(C.say('password_mismatch'));
      return;
    }
    C.busy(button, true);
    C.post('/setup/finish', {
      token: token,
      password: form.password.value,
      confirmPassword: form.confirmPassword.value,
      code: form.code.value.trim()
    }).then(function (result) {
      C.busy(button, false);
      if (!C.ok(result)) {
        show(result.data.message || C.say('page.console.setup_failed'));
        return;
      }
      var list = document.getElementById('recovery-codes');
      result.data.recovery_codes.forEach(function (code) {
        var item = document.createElement('li');
        item.textContent = code;
        list.appendChild(item);
      });
      form.hidden = true;
      done.hidden = false;
      token = '';
    });
  });
})(window, document);
