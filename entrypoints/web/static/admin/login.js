/* 管理后台登录：用户名 + 密码 + 动态验证码（或恢复码） */
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
      show('请填写用户名、密码和动态验证码');
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
      show(result.data.message || '登录失败，请稍后再试');
      form.code.focus();
    });
  });
})(document);
