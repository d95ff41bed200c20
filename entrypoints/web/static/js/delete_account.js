/* Settings -> delete the account: the current password, the box ticked, one more confirmation; then every device
   is signed out and the sign-in page shows the outcome */
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
        App.fieldError(form, 'understood', App.say('page.understood_required'));
        return null;
      }
      return App.confirm(App.say('page.delete_question'),
        { title: App.say('page.delete_title'), ok: App.say('page.delete_ok') }).then(function (yes) {
        return yes ? { currentPassword: field.currentPassword || '' } : null;
      });
    },
    success: function (data) {
      // this session has ended: the sign-in page's banner tells of the cool-off and how to undo it (sign in)
      App.flash(data.message || App.say('page.deletion_requested'), { form: 'login-form' });
      window.location.assign('/login');
      return true; // stays busy until the page is left
    }
  });
});
