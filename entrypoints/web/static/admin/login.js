/* Console sign-in: username, password and a one-time code (or a recovery code) */
(function (document) {
  'use strict';
  var C = window.Console;
  var form = document.getElementById('console-login');
  var error = document.getElementById('form-error');
  var button = form.querySelector('button[type=submit]');

  function show(text) {
    error.textContent = text;
    error.hidden = false;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.hidden = true;
    var body = {
      username: form.username.value.trim(),
      password: form.password.value,
      code: form.code.value.trim()
    };
    if (!body.username || !body.password || !body.code) {
      show(C.say('page.console.fields_required'));
      return;
    }
    C.busy(button, true);
    C.post('/login', body).then(function (result) {
      if (C.ok(result)) {
        window.location.href = C.base + '/';
        return;
      }
      C.busy(button, false);
      form.code.value = '';
      show(result.data.message || C.say('page.console.sign_in_failed'));
      form.code.focus();
    });
  });
})(document);
