/* 登录页 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('login-form');
  var captcha = App.captcha(form);
  var mobile = form.elements.namedItem('mobile');
  var password = form.elements.namedItem('password');

  // 刚注册或重置了密码：手机号已填好，直接填密码
  if (App.flashed && App.flashed.mobile) {
    mobile.value = App.flashed.mobile;
    password.focus();
  }

  App.submit({
    form: form,
    filter: 'login-submit',
    endpoint: '/api/login',
    payload: function (field) {
      if (captcha.failed()) return null;
      return {
        mobile: String(field.mobile || '').trim(),
        password: field.password || '',
        captcha: captcha.value(),
        captcha_uuid: captcha.uuid(),
        remember: form.elements.namedItem('remember').checked
      };
    },
    success: function (data) {
      var go = function () { window.location.assign(App.sameOriginTarget(form.getAttribute('data-next'))); };
      if (data.deletion_cancelled) {
        // 冷静期内登录：注销已撤销，先告诉用户再跳转
        App.confirm(data.message, { title: '注销已撤销', ok: '知道了', cancel: false, icon: 1 }).then(go);
      } else {
        go();
      }
      return true; // 保持“登录中…”，直到跳转
    },
    failure: function (res) {
      captcha.renew(); // 验证码只能用一次：失败后换一张
      if (res.data.field) return false; // 字段旁显示
      // 手机号或密码错误、账号锁定、太频繁、服务不可用：横幅，焦点回到密码以便重试
      App.banner(form, res.data.message, 'error');
      password.select();
      password.focus();
      return true;
    }
  });
});
