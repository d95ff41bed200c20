/*
 * 顶栏：菜单是 <details>（无脚本、键盘都能用）；这里补上 Esc 和点击别处关闭、一次只开一个，
 * 以及“退出”前的确认。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var menus = document.querySelectorAll('details.menu');

  function closeAll(except) {
    for (var i = 0; i < menus.length; i++) {
      if (menus[i] !== except) menus[i].open = false;
    }
  }

  for (var i = 0; i < menus.length; i++) {
    menus[i].addEventListener('toggle', function (e) {
      if (e.target.open) closeAll(e.target);
    });
  }

  document.addEventListener('click', function (e) {
    if (!e.target.closest || !e.target.closest('details.menu')) closeAll(null);
  });

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    var open = document.querySelector('details.menu[open]');
    if (!open) return;
    open.open = false;
    open.querySelector('summary').focus();
  });

  var logout = document.getElementById('logout-link');
  if (!logout) return;
  logout.disabled = false; // 无脚本时保持禁用：点了也不会有任何反应
  logout.addEventListener('click', function () {
    App.confirm('确定要退出登录吗？', { title: '退出登录', ok: '退出' }).then(function (yes) {
      if (!yes) return;
      App.busy(logout, true);
      App.api('/api/logout', {}).then(function (res) {
        // 已退出，或会话本来就失效了：都回首页
        if (App.ok(res) || res.status === 401) {
          window.location.assign('/');
          return;
        }
        App.busy(logout, false);
        App.msg(res.data.message || '退出失败，请稍后再试');
      });
    });
  });
})(window, document);
