/* 个人中心 · 登录设备管理：列出本账号已登录的设备，其他设备可“下线”（模板：_sessions.html） */
layui.use(['layer', 'util'], function () {
  'use strict';

  var layer = layui.layer;
  var util = layui.util;
  var App = window.App;
  var list = document.getElementById('sessions-list');
  if (!list) return;

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
      var row = document.createElement('tr');
      row.className = 'session-row';
      row.setAttribute('data-session', session.id);
      cell(row, '设备', session.device || '未知设备');
      cell(row, 'IP', session.ip || '未知');
      cell(row, '登录时间', beijing(session.signed_in_at)).className = 'nowrap';
      cell(row, '最近活跃', beijing(session.last_active_at)).className = 'nowrap';
      var action = cell(row, '操作', '');
      if (session.current) {
        var badge = document.createElement('span');
        badge.className = 'layui-badge layui-bg-green session-current';
        badge.textContent = '当前设备';
        action.appendChild(badge);
      } else {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'layui-btn layui-btn-xs layui-btn-primary session-revoke';
        button.textContent = '下线';
        button.addEventListener('click', function () {
          confirmRevoke(session, row, button);
        });
        action.appendChild(button);
      }
      list.appendChild(row);
    });
  }

  function load() {
    window.fetch('/api/account/sessions', {
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
        note(data.message || '加载失败，请刷新页面重试');
      }
    }).catch(function () {
      note('网络异常，请刷新页面重试');
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
        App.msg(data.message || '该设备已下线', { icon: 1 });
        return;
      }
      App.busy(button, false);
      if (res.status === 401) {
        App.toLogin();
        return;
      }
      App.msg(data.message, { icon: 2 });
      if (res.status === 404) load(); // 已在别处下线：刷新列表
    });
  }

  function confirmRevoke(session, row, button) {
    if (revoking) return;
    layer.confirm('确定让 ' + util.escape(session.device || '该设备') + ' 下线吗？该设备需要重新登录。', {
      icon: 3,
      title: '下线设备',
      btn: ['下线', '取消']
    }, function (index) {
      layer.close(index);
      revoke(session, row, button);
    });
  }

  load();
});
