/*
 * 提示的唯一样式：字段错误显示在字段旁并把焦点移过去；整页错误显示在表单内的横幅里（role="alert"，
 * 读屏软件会读出）；成功提示在同一位置（role="status"）。从不用盖住输入框的浮层提示。
 * 另有：按钮忙碌状态（登录中…）、可访问的确认框、跨页提示（注册成功后到登录页显示）。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var FLASH_KEY = 'app-flash';

  function field(form, name) {
    if (!form || !name) return null;
    if (typeof name !== 'string') return name;
    if (!form.elements) return null; // 不是表单的容器
    var element = form.elements.namedItem(name);
    return element && element.tagName ? element : null;
  }

  function itemOf(input) {
    return input.closest('.layui-form-item') || input.parentNode;
  }

  function clearField(input) {
    var item = itemOf(input);
    var old = item.querySelector('.field-error');
    if (old) old.parentNode.removeChild(old);
    item.classList.remove('has-error');
    input.removeAttribute('aria-invalid');
    var described = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (id) {
      return id && id !== input.id + '-error';
    });
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  /* 字段旁的错误：aria-invalid + aria-describedby 指向错误文字，焦点移到该字段 */
  App.fieldError = function (form, name, message, options) {
    var input = field(form, name);
    if (!input) return false;
    clearField(input);
    var item = itemOf(input);
    var error = document.createElement('p');
    error.className = 'field-error';
    error.id = input.id + '-error';
    error.setAttribute('role', 'alert');
    error.textContent = message;
    item.appendChild(error);
    item.classList.add('has-error');
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + error.id).trim());
    var clear = function () {
      clearField(input);
      input.removeEventListener('input', clear);
      input.removeEventListener('change', clear);
    };
    input.addEventListener('input', clear);
    input.addEventListener('change', clear);
    if (!options || options.focus !== false) input.focus();
    return true;
  };

  App.clearFieldError = function (form, name) {
    var input = field(form, name);
    if (input) clearField(input);
  };

  /* 表单内横幅：kind 为 'error'（默认）或 'notice'；容器里没有横幅时返回 false */
  App.banner = function (form, text, kind) {
    var box = form && form.querySelector('[data-banner="' + (kind || 'error') + '"]');
    if (!box) return false;
    box.textContent = text || '';
    if (text && box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
    return true;
  };

  App.clearErrors = function (form) {
    if (!form) return;
    var inputs = form.querySelectorAll('[aria-invalid="true"]');
    for (var i = 0; i < inputs.length; i++) clearField(inputs[i]);
    App.banner(form, '', 'error');
    App.banner(form, '', 'notice');
  };

  /* 服务器的拒绝：有对应字段就显示在字段旁，否则显示在横幅里（没有横幅的容器：简短提示） */
  App.showError = function (form, data) {
    data = data || {};
    var text = data.message || '操作失败，请稍后再试';
    if (!App.fieldError(form, data.field, text) && !App.banner(form, text, 'error')) App.msg(text, { icon: 2 });
  };

  /* 忙碌：禁用按钮，文字换成 data-busy-label（如“登录中…”） */
  App.busy = function (button, on) {
    if (!button) return;
    if (!button.hasAttribute('data-label')) button.setAttribute('data-label', button.textContent);
    button.disabled = !!on;
    button.classList.toggle('layui-btn-disabled', !!on);
    if (on) {
      button.setAttribute('aria-busy', 'true');
      if (button.getAttribute('data-busy-label')) button.textContent = button.getAttribute('data-busy-label');
    } else {
      button.removeAttribute('aria-busy');
      button.textContent = button.getAttribute('data-label');
    }
  };

  /*
   * 确认框（退出、退出所有设备）：role="alertdialog"，焦点在确认按钮上，Esc 取消，关闭后焦点回到原处。
   * options: title, ok（确认按钮的文字）, cancel: false（只是告知、没有可取消的事：只有一个按钮）, icon
   */
  App.confirm = function (text, options) {
    options = options || {};
    return new Promise(function (resolve) {
      window.layui.use('layer', function () {
        var layer = window.layui.layer;
        var opener = document.activeElement;
        var answer = false;
        layer.confirm(App.escape(text), {
          title: App.escape(options.title || '请确认'),
          btn: options.cancel === false ? [options.ok || '确定'] : [options.ok || '确定', '取消'],
          icon: options.icon || 3, // 3 问号；告知用 1（对勾）
          anim: -1, // 不要缩放动画：打开即可读，也照顾对动效敏感的人
          isOutAnim: false,
          success: function (layero, index) {
            var box = layero[0];
            var title = box.querySelector('.layui-layer-title');
            var content = box.querySelector('.layui-layer-content');
            box.setAttribute('role', 'alertdialog');
            box.setAttribute('aria-modal', 'true');
            if (title) box.setAttribute('aria-labelledby', (title.id = 'dialog-title-' + index));
            if (content) box.setAttribute('aria-describedby', (content.id = 'dialog-text-' + index));
            var buttons = box.querySelectorAll('.layui-layer-btn a, .layui-layer-close');
            for (var i = 0; i < buttons.length; i++) {
              buttons[i].setAttribute('role', 'button');
              buttons[i].setAttribute('tabindex', '0');
              if (buttons[i].classList.contains('layui-layer-close')) buttons[i].setAttribute('aria-label', '关闭');
            }
            box.addEventListener('keydown', function (e) {
              if (e.key === 'Escape') {
                layer.close(index);
              } else if ((e.key === 'Enter' || e.key === ' ') && e.target.getAttribute('role') === 'button') {
                e.preventDefault();
                e.target.click();
              }
            });
            var first = box.querySelector('.layui-layer-btn0');
            if (first) first.focus();
          },
          end: function () {
            resolve(answer);
            if (opener && opener.focus && document.contains(opener)) opener.focus();
          }
        }, function (index) {
          answer = true;
          layer.close(index);
        });
      });
    });
  };

  /* 跨页提示：写入后跳转，下一页在其表单的横幅里显示（options.mobile 供登录页预填） */
  App.flash = function (text, options) {
    try {
      window.sessionStorage.setItem(FLASH_KEY, JSON.stringify({
        text: String(text), form: (options && options.form) || '', mobile: (options && options.mobile) || ''
      }));
    } catch (e) { /* 存不了就不显示，不影响操作本身 */ }
  };

  App.flashed = (function () {
    var flash = null;
    try {
      flash = JSON.parse(window.sessionStorage.getItem(FLASH_KEY) || 'null');
      window.sessionStorage.removeItem(FLASH_KEY);
    } catch (e) {
      flash = null;
    }
    if (!flash || typeof flash.text !== 'string') return null;
    var form = (flash.form && document.getElementById(flash.form)) || document.querySelector('main form');
    App.banner(form, flash.text, 'notice');
    return flash;
  })();

  /* 不在表单里的简短提示（如列表操作的结果），不覆盖任何输入框 */
  App.msg = function (text, options) {
    window.layui.use('layer', function () {
      window.layui.layer.msg(App.escape(text), options || {});
      var boxes = document.querySelectorAll('.layui-layer-msg');
      if (boxes.length) boxes[boxes.length - 1].setAttribute('role', 'status');
    });
  };
})(window, document);
