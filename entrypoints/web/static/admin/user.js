/* The actions on a user's page: show the full mobile, unlock, disable or enable, end every session, and change
   the mobile for a user who lost the old one, an appeal (each one confirmed, and recorded in the audit log) */
(function (document) {
  'use strict';
  var C = window.Console;
  var facts = document.getElementById('user-facts');
  if (!facts) return;
  var userId = facts.getAttribute('data-user-id');

  function run(button) {
    var action = button.getAttribute('data-action');
    C.busy(button, true);
    C.post('/users/' + userId + '/' + action).then(function (result) {
      C.busy(button, false);
      if (!C.ok(result)) {
        C.handleFailure(result);
        return;
      }
      if (action === 'mobile') {
        document.getElementById('user-mobile').textContent = result.data.mobile;
        button.hidden = true;
        C.msg(result.data.message, true);
        return;
      }
      C.msg(result.data.message, true);
      window.setTimeout(function () { window.location.reload(); }, 800);
    });
  }

  // an appeal: a new mobile for a user who lost the old one, with the reason (confirmed, recorded)
  var appeal = document.getElementById('change-mobile-form');
  if (appeal) {
    appeal.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = document.getElementById('change-mobile-submit');
      var payload = {
        mobile: String(appeal.elements.namedItem('mobile').value || '').trim(),
        reason: String(appeal.elements.namedItem('reason').value || '').trim()
      };
      C.confirm(appeal.getAttribute('data-confirm'), function () {
        C.busy(button, true);
        C.post('/users/' + userId + '/change_mobile', payload).then(function (result) {
          C.busy(button, false);
          if (!C.ok(result)) {
            C.handleFailure(result);
            return;
          }
          C.msg(result.data.message, true);
          window.setTimeout(function () { window.location.reload(); }, 800);
        });
      });
    });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action]');
    if (!button) return;
    var question = button.getAttribute('data-confirm');
    if (question) {
      C.confirm(question, function () { run(button); });
    } else {
      run(button);
    }
  });
})(document);
