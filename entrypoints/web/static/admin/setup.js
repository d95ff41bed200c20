/* 首次设置：链接 #后的一次性令牌 → 二维码 → 设置密码并确认动态验证码 → 显示恢复码 */
(function (window, document) {
  'use strict';
  var C = window.Console;
  var token = window.location.hash.replace(/^#/, '');
  var form = document.getElementById('setup-form');
  var error = document.getElementById('setup-error');
  var done = document.getElementById('setup-done');
  var button = form.querySelector('button[type=submit]');

  // 令牌不留在地址栏与浏览历史里
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, '', window.location.pathname);
  }

  function show(text) {
    error.textContent = text;
    error.hidden = false;
  }

  if (!token) {
    show('缺少设置链接中的令牌，请使用管理员发给您的完整链接');
    return;
  }

  C.post('/setup/start', { token: token }).then(function (result) {
    if (!C.ok(result)) {
      show(result.data.message || '设置链接无效');
      return;
    }
    var data = result.data;
    document.getElementById('setup-username').textContent = data.username;
    document.getElementById('setup-role').textContent = data.role === 'admin' ? '管理员' : '审计员';
    document.getElementById('setup-qr').src = data.qr;
    document.getElementById('setup-key').textContent = data.key;
    form.hidden = false;
    form.password.focus();
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.hidden = true;
    if (form.password.value !== form.confirmPassword.value) {
      show('两次密码输入不一致');
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
        show(result.data.message || '设置失败，请稍后再试');
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
