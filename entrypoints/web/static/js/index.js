/* 首页：导航与退出 */
layui.use(['element', 'layer'], function () {
  'use strict';

  var element = layui.element;
  var App = window.App;

  element.render('nav');

  // 触屏或键盘：点击昵称展开/收起菜单（桌面端鼠标悬停由 layui 处理）
  var user = document.querySelector('.nav-user');
  if (user) {
    var menu = user.parentNode.querySelector('.layui-nav-child');
    if (menu) {
      // 点击只负责展开（鼠标移开时 layui 会收起），键盘可展开/收起
      user.addEventListener('click', function () {
        menu.classList.add('layui-show');
      });
      user.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          menu.classList.toggle('layui-show');
        }
      });
    }
  }

  var logout = document.getElementById('logout-link');
  if (!logout) return;

  var leaving = false;
  function doLogout(e) {
    if (e) e.preventDefault();
    if (leaving) return;
    leaving = true;
    App.api('/api/logout', {}).then(function (res) {
      // 已退出，或会话本来就失效了：都回首页
      if (App.ok(res) || res.status === 401) {
        window.location.href = '/';
        return;
      }
      leaving = false;
      App.msg((res.data && res.data.message) || '退出失败，请稍后再试', { icon: 2 });
    });
  }

  logout.addEventListener('click', doLogout);
  logout.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' || e.key === ' ') doLogout(e);
  });
});
