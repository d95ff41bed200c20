/* 设置：修改昵称、修改（或首次设置）密码、换绑手机号、退出所有设备 */
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
      var body = { password: field.password || '', confirmPassword: field.confirmPassword || '' };
      // 没有密码的账号（验证码登录注册）首次设置：没有“当前密码”一栏
      if (passwordForm.elements.namedItem('currentPassword')) body.currentPassword = field.currentPassword || '';
      return body;
    },
    success: function (data) {
      // 本浏览器换了新会话（CSRF 令牌随之更新）：重新载入本页，在表单里显示结果
      App.flash(data.message || '密码已修改', { form: 'password-form' });
      window.location.reload();
      return true;
    }
  });

  // 换绑手机号：先证明是本人（当前密码；没有密码的账号用发到当前手机号的验证码），再验证新手机号
  var mobileForm = document.getElementById('mobile-form');
  var captcha = App.captcha(mobileForm);
  var senders = [App.smsSender({
    form: mobileForm,
    button: document.getElementById('mobile-get-vercode'),
    endpoint: '/api/account/mobile/send_code',
    purpose: 'change_mobile',
    captcha: captcha,
    before: function () { return App.validate('#settings-new-mobile'); }
  })];
  var currentCodeButton = document.getElementById('mobile-get-current-code');
  if (currentCodeButton) {
    senders.push(App.smsSender({
      form: mobileForm,
      button: currentCodeButton,
      endpoint: '/api/account/mobile/send_current_code',
      purpose: 'change_mobile_current',
      captcha: captcha,
      mobile: false,
      codeField: 'currentVercode',
      before: function () { return true; }
    }));
  }

  App.submit({
    form: mobileForm,
    filter: 'mobile-submit',
    endpoint: '/api/account/mobile',
    signedIn: true,
    payload: function (field) {
      var body = { mobile: String(field.mobile || '').trim(), vercode: String(field.vercode || '').trim() };
      if (mobileForm.elements.namedItem('currentPassword')) body.currentPassword = field.currentPassword || '';
      if (mobileForm.elements.namedItem('currentVercode')) {
        body.currentVercode = String(field.currentVercode || '').trim();
      }
      return body;
    },
    success: function (data) {
      senders.forEach(function (sender) { sender.countdown.clear(); });
      // 本浏览器换了新会话：重新载入本页，在表单里显示结果
      App.flash(data.message || '手机号已更换', { form: 'mobile-form' });
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
