/*
 * 个人中心 · 登录设备管理：列出本账号已登录的设备，其他设备可“下线”（模板：_sessions.html）。
 * 下线前用 App.confirm 确认；结果与错误显示在卡片内的横幅里（与表单相同的样式），不用浮层提示。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var card = document.getElementById('sessions-card');
  var list = document.getElementById('sessions-list');
  var heading = document.getElementById('sessions-heading');
  if (!card || !list) return;

  var BEIJING_OFFSET = 8 * 3600 * 1000; // 北京时间，不实行夏令时
  var revoking = false;

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /* ISO 8601 → “YYYY-MM-DD HH:MM:SS”（北京时间），与登录记录的写法一致 */
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
    td.textContent = text; // 文本，不解析 HTML
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
      note('暂无登录设备');
      return;
    }
    sessions.forEach(function (session) {
      var device = session.device || '未知设备';
      var row = document.createElement('tr');
      row.className = 'session-row';
      row.setAttribute('data-session', session.id);
      cell(row, '设备', device);
      cell(row, 'IP', session.ip || '未知');
      cell(row, '登录时间', beijing(session.signed_in_at)).className = 'nowrap';
      cell(row, '最近活跃', beijing(session.last_active_at)).className = 'nowrap';
      var action = cell(row, '操作', '');
      if (session.current) {
        var badge = document.createElement('span');
        badge.className = 'layui-badge session-current';
        badge.textContent = '当前设备';
        action.appendChild(badge);
      } else {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'layui-btn layui-btn-xs layui-btn-primary session-revoke';
        button.textContent = '下线';
        button.setAttribute('aria-label', '下线：' + device); // 每行一个“下线”：读屏时说清是哪台设备
        button.setAttribute('data-busy-label', '下线中…');
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
        App.toLogin(); // 本会话已结束
        return null;
      }
      return response.json();
    }).then(function (data) {
      if (!data) return;
      if (Number(data.code) === 0 && Array.isArray(data.sessions)) {
        render(data.sessions);
      } else {
        note('加载失败，请刷新页面重试');
        App.banner(card, data.message || '登录设备加载失败，请刷新页面重试', 'error');
      }
    }).catch(function () {
      note('加载失败，请刷新页面重试');
      App.banner(card, '网络异常，请检查网络后刷新页面', 'error');
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
        if (!list.querySelector('tr')) note('暂无登录设备');
        // 按钮随行消失：焦点放回卡片标题，读屏软件接着读出横幅
        heading.focus();
        App.banner(card, (session.device || '该设备') + '：' + (data.message || '该设备已下线'), 'notice');
        return;
      }
      App.busy(button, false);
      if (res.status === 401) {
        App.flash(data.message || '请先登录');
        App.toLogin();
        return;
      }
      App.banner(card, data.message || '操作失败，请稍后再试', 'error');
      if (res.status === 404) load(); // 已在别处下线：刷新列表
    });
  }

  function confirmRevoke(session, row, button) {
    if (revoking) return;
    App.clearErrors(card);
    App.confirm('确定让“' + (session.device || '该设备') + '”下线吗？该设备需要重新登录。',
      { title: '下线设备', ok: '下线' }).then(function (yes) {
      if (yes && document.contains(row)) revoke(session, row, button);
    });
  }

  load();
})(window, document);
