/* 设置：修改昵称、修改密码、退出所有设备 */
layui.use(['form', 'layer'], function () {
  'use strict';

  var form = layui.form;
  var layer = layui.layer;
  var App = window.App;

  var nicknameForm = document.getElementById('nickname-form');
  var nicknameInput = document.getElementById('settings-nickname');
  var nicknameButton = nicknameForm.querySelector('[lay-filter="nickname-submit"]');

  var passwordForm = document.getElementById('password-form');
  var newPasswordInput = document.getElementById('settings-password');
  var passwordButton = passwordForm.querySelector('[lay-filter="password-submit"]');

  var signOutButton = document.getElementById('sign-out-everywhere');

  form.verify(App.formRules(newPasswordInput));

  /* 会话没了（在别处退出、密码被重置等）：去登录 */
  function sessionGone(res) {
    if (res.status === 401) {
      App.msg((res.data && res.data.message) || '请先登录', { icon: 2 });
      window.setTimeout(App.toLogin, 1200);
      return true;
    }
    return false;
  }

  /* ---------- 修改昵称 ---------- */

  var savingNickname = false;

  form.on('submit(nickname-submit)', function (obj) {
    if (savingNickname) return false;
    App.clearErrors(nicknameForm);

    savingNickname = true;
    App.busy(nicknameButton, true);
    App.api('/api/account/nickname', {
      nickname: String(obj.field.nickname || '').trim()
    }).then(function (res) {
      savingNickname = false;
      App.busy(nicknameButton, false);
      var data = res.data || {};
      if (App.ok(res)) {
        var nickname = String(data.nickname || '');
        nicknameInput.value = nickname;
        // 顶栏的昵称同步更新（textContent，不解析 HTML）
        var names = document.querySelectorAll('.nav-user-name');
        for (var i = 0; i < names.length; i++) {
          names[i].textContent = nickname;
        }
        App.msg('昵称已修改为：' + nickname, { icon: 1 }); // App.msg 会转义
        return;
      }
      if (sessionGone(res)) return;
      App.showError(nicknameForm, data);
    });
    return false; // 阻止表单原生提交
  });

  /* ---------- 修改密码 ---------- */

  var changingPassword = false;

  form.on('submit(password-submit)', function (obj) {
    var field = obj.field;
    if (changingPassword) return false;
    App.clearErrors(passwordForm);

    changingPassword = true;
    App.busy(passwordButton, true);
    App.api('/api/account/password', {
      currentPassword: field.currentPassword || '',
      password: field.password || '',
      confirmPassword: field.confirmPassword || ''
    }).then(function (res) {
      var data = res.data || {};
      if (App.ok(res)) {
        passwordForm.reset();
        // 本浏览器换了新会话（CSRF 令牌随之更新）：关闭提示后刷新页面再继续操作
        layer.alert(App.escape(data.message || '密码已修改'), {
          icon: 1,
          title: '密码已修改',
          end: function () {
            window.location.reload();
          }
        });
        return; // 保持按钮禁用，直到刷新
      }
      changingPassword = false;
      App.busy(passwordButton, false);
      if (sessionGone(res)) return;
      App.showError(passwordForm, data);
    });
    return false; // 阻止表单原生提交
  });

  /* ---------- 退出所有设备 ---------- */

  var signingOut = false;

  function signOutEverywhere() {
    if (signingOut) return;
    signingOut = true;
    App.busy(signOutButton, true);
    App.api('/api/account/sign_out_everywhere', {}).then(function (res) {
      if (App.ok(res) || res.status === 401) {
        // 已全部退出，或本来就没登录了：都去登录页
        window.location.href = '/login';
        return;
      }
      signingOut = false;
      App.busy(signOutButton, false);
      App.msg((res.data && res.data.message) || '操作失败，请稍后再试', { icon: 2 });
    });
  }

  signOutButton.addEventListener('click', function () {
    if (signingOut) return;
    layer.confirm('确定要在所有设备上退出登录吗？包括本浏览器，之后需要重新登录。', {
      icon: 3,
      title: '退出所有设备',
      btn: ['退出所有设备', '取消']
    }, function (index) {
      layer.close(index);
      signOutEverywhere();
    });
  });
});
