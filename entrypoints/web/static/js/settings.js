/* 设置：修改昵称、修改密码、退出所有设备 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var nicknameForm = document.getElementById('nickname-form');
  var passwordForm = document.getElementById('password-form');
  var signOutButton = document.getElementById('sign-out-everywhere');

  App.submit({
    form: nicknameForm,
    filter: 'nickname-submit',
    endpoint: '/api/account/nickname',
    signedIn: true,
    payload: function (field) {
      return { nickname: String(field.nickname || '').trim() };
    },
    success: function (data) {
      var nickname = String(data.nickname || '');
      nicknameForm.elements.namedItem('nickname').value = nickname;
      // 顶栏的昵称同步更新（textContent，不解析 HTML）
      var names = document.querySelectorAll('.nav-user-name');
      for (var i = 0; i < names.length; i++) names[i].textContent = nickname;
      App.banner(nicknameForm, '昵称已修改为：' + nickname, 'notice');
    }
  });

  App.submit({
    form: passwordForm,
    filter: 'password-submit',
    endpoint: '/api/account/password',
    signedIn: true,
    payload: function (field) {
      return {
        currentPassword: field.currentPassword || '',
        password: field.password || '',
        confirmPassword: field.confirmPassword || ''
      };
    },
    success: function (data) {
      // 本浏览器换了新会话（CSRF 令牌随之更新）：重新载入本页，在表单里显示结果
      App.flash(data.message || '密码已修改', { form: 'password-form' });
      window.location.reload();
      return true;
    }
  });

  var banner = document.getElementById('sessions-banner');
  signOutButton.addEventListener('click', function () {
    App.confirm('确定要在所有设备上退出登录吗？包括本浏览器，之后需要重新登录。',
      { title: '退出所有设备', ok: '退出所有设备' }).then(function (yes) {
      if (!yes) return;
      banner.textContent = '';
      App.busy(signOutButton, true);
      App.api('/api/account/sign_out_everywhere', {}).then(function (res) {
        if (App.ok(res) || res.status === 401) {
          // 已全部退出，或本来就没登录了：都去登录页
          App.flash(App.ok(res) ? '已在所有设备上退出登录，请重新登录' : '请先登录');
          window.location.assign('/login');
          return;
        }
        App.busy(signOutButton, false);
        banner.textContent = res.data.message || '操作失败，请稍后再试';
      });
    });
  });
  App.busy(signOutButton, false);
});
