/* 用户详情页的操作：查看完整手机号、解锁、停用/启用、结束所有会话（每个都经确认并记入审计日志） */
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
