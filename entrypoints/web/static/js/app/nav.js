/*
 * The header: its menus are <details> (usable without script and from the keyboard); this adds closing on Esc
 * and on a click elsewhere, one menu open at a time, and the confirmation before signing out.
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
  logout.disabled = false; // disabled without script: a click would do nothing
  logout.addEventListener('click', function () {
    var options = { title: App.say('page.logout_title'), ok: App.say('page.logout_ok') };
    App.confirm(App.say('page.logout_question'), options).then(function (yes) {
      if (!yes) return;
      App.busy(logout, true);
      App.api('/api/logout', {}).then(function (res) {
        // signed out, or the session had already ended: home either way
        if (App.ok(res) || res.status === 401) {
          window.location.assign('/');
          return;
        }
        App.busy(logout, false);
        App.msg(res.data.message || App.say('page.logout_failed'));
      });
    });
  });
})(window, document);
