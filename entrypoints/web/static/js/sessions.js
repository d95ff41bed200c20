/*
 * Profile -> signed-in devices: lists the devices signed in to this account; any other one can be signed out
 * (template: _sessions.html). App.confirm asks first; outcomes and errors show in the card's banner (the forms'
 * style), never in a floating tip.
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var card = document.getElementById('sessions-card');
  var list = document.getElementById('sessions-list');
  var heading = document.getElementById('sessions-heading');
  if (!card || !list) return;

  var BEIJING_OFFSET = 8 * 3600 * 1000; // Beijing time, which keeps no daylight saving
  var revoking = false;

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /* ISO 8601 -> "YYYY-MM-DD HH:MM:SS" in Beijing time, as the sign-in log writes it */
  function beijing(iso) {
    var ms = Date.parse(iso);
    if (isNaN(ms)) return '';
    var d = new Date(ms + BEIJING_OFFSET);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }

  function cell(row, label, text) {
    var td = document.createElement('td');
    td.setAttribute('data-label', label);
    td.textContent = text; // text: no HTML parsed
    row.appendChild(td);
    return td;
  }

  function note(text) {
    list.textContent = '';
    var row = document.createElement('tr');
    var td = cell(row, '', text);
    td.colSpan = 5;
    td.className = 'empty-state';
    list.appendChild(row);
  }

  function render(sessions) {
    list.textContent = '';
    if (!sessions.length) {
      note(App.say('page.sessions.none'));
      return;
    }
    sessions.forEach(function (session) {
      var device = session.device || App.say('page.sessions.unknown_device');
      var row = document.createElement('tr');
      row.className = 'session-row';
      row.setAttribute('data-session', session.id);
      cell(row, App.say('page.sessions.device'), device);
      cell(row, 'IP', session.ip || App.say('page.sessions.unknown'));
      cell(row, App.say('page.sessions.signed_in_at'), beijing(session.signed_in_at)).className = 'nowrap';
      cell(row, App.say('page.sessions.last_active_at'), beijing(session.last_active_at)).className = 'nowrap';
      var action = cell(row, App.say('page.sessions.action'), '');
      if (session.current) {
        var badge = document.createElement('span');
        badge.className = 'layui-badge session-current';
        badge.textContent = App.say('page.sessions.current');
        action.appendChild(badge);
      } else {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'layui-btn layui-btn-xs layui-btn-primary session-revoke';
        button.textContent = App.say('page.sessions.revoke');
        // one such button a row: a screen reader says which device each is for
        button.setAttribute('aria-label', App.say('page.sessions.revoke_label', { device: device }));
        button.setAttribute('data-busy-label', App.say('page.sessions.revoking'));
        button.addEventListener('click', function () {
          confirmRevoke(session, row, button);
        });
        action.appendChild(button);
      }
      list.appendChild(row);
    });
  }

  function load() {
    list.setAttribute('aria-busy', 'true');
    return window.fetch('/api/account/sessions', {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Accept': 'application/json' }
    }).then(function (response) {
      if (response.status === 401) {
        App.toLogin(); // this session has ended
        return null;
      }
      return response.json();
    }).then(function (data) {
      if (!data) return;
      if (Number(data.code) === 0 && Array.isArray(data.sessions)) {
        render(data.sessions);
      } else {
        note(App.say('page.sessions.load_failed'));
        App.banner(card, data.message || App.say('page.sessions.load_refused'), 'error');
      }
    }).catch(function () {
      note(App.say('page.sessions.load_failed'));
      App.banner(card, App.say('page.sessions.network_error'), 'error');
    }).then(function () {
      list.removeAttribute('aria-busy');
    });
  }

  function revoke(session, row, button) {
    revoking = true;
    App.busy(button, true);
    App.api('/api/account/sessions/' + encodeURIComponent(session.id) + '/revoke', {}).then(function (res) {
      revoking = false;
      var data = res.data || {};
      if (App.ok(res)) {
        row.parentNode.removeChild(row);
        if (!list.querySelector('tr')) note(App.say('page.sessions.none'));
        // the button went with its row: the focus goes to the card's heading, and a screen reader reads the banner
        heading.focus();
        App.banner(card, App.say('page.sessions.revoked', {
          device: session.device || App.say('page.sessions.this_device'),
          message: data.message || App.say('session_revoked')
        }), 'notice');
        return;
      }
      App.busy(button, false);
      if (res.status === 401) {
        App.flash(data.message || App.say('login_required'));
        App.toLogin();
        return;
      }
      App.banner(card, data.message || App.say('page.failed'), 'error');
      if (res.status === 404) load(); // signed out elsewhere already: list again
    });
  }

  function confirmRevoke(session, row, button) {
    if (revoking) return;
    App.clearErrors(card);
    var device = session.device || App.say('page.sessions.this_device');
    var options = { title: App.say('page.sessions.revoke_title'), ok: App.say('page.sessions.revoke') };
    App.confirm(App.say('page.sessions.revoke_question', { device: device }), options).then(function (yes) {
      if (yes && document.contains(row)) revoke(session, row, button);
    });
  }

  load();
})(window, document);
