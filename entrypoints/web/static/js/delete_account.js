/* 设置 → 注销账号：验证当前密码，再确认一次，提交后全部设备退出登录 */
layui.use(['form', 'layer'], function () {
  'use strict';

  var form = layui.form;
  var layer = layui.layer;
  var App = window.App;

  var formEl = document.getElementById('delete-account-form');
  var submitButton = formEl.querySelector('[lay-filter="delete-account-submit"]');
  var submitting = false;

  // layui 的复选框不触发原生 change，勾选时在这里清掉提示
  form.on('checkbox(understood)', function () {
    App.clearFieldError(formEl, 'understood');
  });

  function submit(password) {
    submitting = true;
    App.busy(submitButton, true);
    App.api('/api/account/delete', { currentPassword: password }).then(function (res) {
      var data = res.data || {};
      if (App.ok(res)) {
        formEl.reset();
        // 会话已结束：关闭提示后回到首页
        layer.alert(App.escape(data.message || '注销申请已提交'), {
          icon: 1,
          title: '已申请注销',
          closeBtn: 0,
          end: function () {
            window.location.href = '/';
          }
        });
        return; // 保持按钮禁用，直到跳转
      }
      submitting = false;
      App.busy(submitButton, false);
      if (res.status === 401) {
        App.msg(data.message || '请先登录', { icon: 2 });
        window.setTimeout(App.toLogin, 1200);
        return;
      }
      App.showError(formEl, data);
    });
  }

  form.on('submit(delete-account-submit)', function (obj) {
    var field = obj.field;
    if (submitting) return false;
    App.clearErrors(formEl);
    if (!field.understood) {
      App.showError(formEl, { field: 'understood', message: '请先阅读并勾选“我已阅读并了解以上内容”' });
      return false;
    }
    layer.confirm('确定要注销账号吗？提交后将立即退出所有设备；冷静期内重新登录可撤销，期满后账号将被永久删除。', {
      icon: 3,
      title: '注销账号',
      btn: ['确定注销', '取消']
    }, function (index) {
      layer.close(index);
      submit(field.currentPassword || '');
    });
    return false; // 阻止表单原生提交
  });
});
