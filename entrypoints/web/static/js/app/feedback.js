/*
 * The one way to tell a person something: a field's error beside the field, with the focus moved there; a form's
 * error in the banner inside the form (role="alert", read out by screen readers); a success in the same place
 * (role="status"). Never a floating tip over the inputs.
 * Also: a button's busy state (its data-busy-label), an accessible confirmation dialog, and a message carried to
 * the next page (shown on the sign-in page after signing up).
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var FLASH_KEY = 'app-flash';

  function field(form, name) {
    if (!form || !name) return null;
    if (typeof name !== 'string') return name;
    if (!form.elements) return null; // a container that is not a form
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

  /* An error beside a field: aria-invalid, aria-describedby pointing at the words, the focus on the field */
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

  /* The banner inside a form: kind 'error' (the default) or 'notice'; false when the container has none */
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

  /* The server's refusal: beside its field when there is one, else in the banner (no banner: a short message) */
  App.showError = function (form, data) {
    data = data || {};
    var text = data.message || App.say('page.failed');
    if (!App.fieldError(form, data.field, text) && !App.banner(form, text, 'error')) App.msg(text, { icon: 2 });
  };

  /* Busy: the button disabled, its text replaced by its data-busy-label */
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
   * A confirmation (sign out, sign out everywhere): role="alertdialog", the focus on the confirming button, Esc
   * cancels, and the focus goes back where it was when it closes.
   * options: title, ok (the confirming button's text), cancel: false (only telling, nothing to cancel: one
   * button), icon
   */
  App.confirm = function (text, options) {
    options = options || {};
    return new Promise(function (resolve) {
      window.layui.use('layer', function () {
        var layer = window.layui.layer;
        var opener = document.activeElement;
        var answer = false;
        var ok = options.ok || App.say('page.ok');
        layer.confirm(App.escape(text), {
          title: App.escape(options.title || App.say('page.confirm_title')),
          btn: options.cancel === false ? [ok] : [ok, App.say('page.cancel')],
          icon: options.icon || 3, // 3 a question mark; 1 (a tick) to tell something
          anim: -1, // no zoom: readable as soon as it opens, and kind to people sensitive to motion
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
              if (buttons[i].classList.contains('layui-layer-close')) {
                buttons[i].setAttribute('aria-label', App.say('page.close'));
              }
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

  /* A message for the next page: stored before leaving, shown in that page's form banner (options.mobile fills
     the sign-in page's mobile field) */
  App.flash = function (text, options) {
    try {
      window.sessionStorage.setItem(FLASH_KEY, JSON.stringify({
        text: String(text), form: (options && options.form) || '', mobile: (options && options.mobile) || ''
      }));
    } catch (e) { /* not stored, not shown: the action itself is unaffected */ }
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

  /* A short message outside any form (the result of an action in a list), covering no input */
  App.msg = function (text, options) {
    window.layui.use('layer', function () {
      window.layui.layer.msg(App.escape(text), options || {});
      var boxes = document.querySelectorAll('.layui-layer-msg');
      if (boxes.length) boxes[boxes.length - 1].setAttribute('role', 'status');
    });
  };
})(window, document);
