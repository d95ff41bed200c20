/* 设置 → 注销账号：验证当前密码、勾选已了解，再确认一次；提交后所有设备退出登录，到登录页看结果 */
layui.use(['form'], function () {
  'use strict';

  var App = window.App;
  var form = document.getElementById('delete-account-form');

  App.submit({
    form: form,
    filter: 'delete-account-submit',
    endpoint: '/api/account/delete',
    signedIn: true,
    payload: function (field) {
      if (!form.elements.namedItem('understood').checked) {
        App.fieldError(form, 'understood', '请先阅读并勾选“我已阅读并了解以上内容”');
        return null;
      }
      return App.confirm('确定要注销账号吗？提交后将立即退出所有设备；冷静期内重新登录可撤销，期满后账号将被永久删除。',
        { title: '注销账号', ok: '确定注销' }).then(function (yes) {
        return yes ? { currentPassword: field.currentPassword || '' } : null;
      });
    },
    success: function (data) {
      // 本会话已结束：在登录页的横幅里说明冷静期，以及如何撤销（登录即可）
      App.flash(data.message || '注销申请已提交', { form: 'login-form' });
      window.location.assign('/login');
      return true; // 保持“提交中…”，直到跳转
    }
  });
});
