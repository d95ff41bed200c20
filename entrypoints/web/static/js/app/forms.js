/*
 * 表单：校验规则（数字全部来自 App.rules）、唯一的提交路径 App.submit、显示密码按钮、密码强度提示。
 * layui 的 form.verify 负责何时校验；出错时这里把提示放在字段旁（规则返回 true，layui 就不弹浮层）。
 */
(function (window, document) {
  'use strict';

  var App = window.App;
  var rules = App.rules;

  /* 字符数按码位计（emoji 算 1 个），与服务器一致 */
  function length(value) {
    return Array.from(String(value == null ? '' : value)).length;
  }

  var MOBILE = new RegExp('^(?:' + rules.mobilePattern + ')$');

  var checks = {
    required: function (value, input) {
      if (input.type === 'checkbox' ? !input.checked : !String(value).trim()) {
        return input.getAttribute('data-reqtext') || '此项必填';
      }
    },
    mobile: function (value) {
      if (!MOBILE.test(String(value).trim())) return '手机号格式不正确，请填写 11 位手机号';
    },
    nickname: function (value) {
      var n = length(String(value).trim());
      if (n < 1 || n > rules.nicknameMax) return '昵称须为 1-' + rules.nicknameMax + ' 个字符';
    },
    password: function (value) {
      var n = length(value);
      if (n < rules.passwordMin || n > rules.passwordMax) {
        return '密码须为 ' + rules.passwordMin + '-' + rules.passwordMax + ' 个字符';
      }
    },
    confirmPassword: function (value, input) {
      var password = input.form.elements.namedItem('password');
      if (password && value !== password.value) return '两次密码输入不一致';
    }
  };

  /* 给 layui 的规则：出错时字段旁显示提示并返回 true（layui 只在返回字符串时弹浮层） */
  function verifier(name) {
    return function (_trimmed, input) {
      var message = checks[name](input.type === 'checkbox' ? '' : input.value, input);
      if (message) {
        App.fieldError(input.form, input, message);
        return true;
      }
      App.clearFieldError(input.form, input);
    };
  }

  var verifiers = {};
  Object.keys(checks).forEach(function (name) {
    verifiers[name] = verifier(name);
  });

  /* 校验表单中的一部分字段（如获取验证码前），返回是否全部通过 */
  App.validate = function (selector) {
    return window.layui.form.validate(selector);
  };

  /*
   * 所有表单的提交都走这里。options:
   *   form（元素）, filter（lay-filter）, endpoint（或返回它的函数：一个表单两种提交，如登录页的两个标签）,
   *   payload(field) → 请求体，或 null（已自行提示、不提交），也可返回 Promise
   *   success(data) → 返回 true 表示即将离开本页，按钮保持“忙碌”
   *   failure(res)  → 返回 true 表示已自行处理；否则按字段/横幅显示
   *   signedIn      → 401 时去登录页（会话已在别处结束）
   * 绑定完成后才启用提交按钮：脚本就绪前表单不能提交。
   */
  App.submit = function (options) {
    var form = options.form;
    var button = form.querySelector('[lay-filter="' + options.filter + '"]');
    var pending = false;

    function release() {
      pending = false;
      App.busy(button, false);
    }

    window.layui.form.on('submit(' + options.filter + ')', function (obj) {
      if (pending) return false;
      pending = true;
      App.clearErrors(form);
      Promise.resolve(options.payload(obj.field)).then(function (body) {
        if (!body) {
          pending = false;
          return;
        }
        App.busy(button, true);
        var endpoint = typeof options.endpoint === 'function' ? options.endpoint() : options.endpoint;
        return App.api(endpoint, body).then(function (res) {
          if (App.ok(res)) {
            if (options.success(res.data) !== true) release();
            return;
          }
          release();
          if (res.status === 401 && options.signedIn) {
            App.flash((res.data && res.data.message) || '请先登录');
            App.toLogin();
            return;
          }
          if (options.failure && options.failure(res) === true) return;
          App.showError(form, res.data);
        });
      });
      return false; // 不走浏览器的原生提交
    });
    App.busy(button, false);
  };

  /* 显示/隐藏密码：真正的按钮，键盘可用，aria-pressed 说明当前状态 */
  function bindToggle(button) {
    var input = document.getElementById(button.getAttribute('aria-controls'));
    var icon = button.querySelector('.layui-icon');
    button.disabled = false;
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
      button.setAttribute('aria-label', show ? '隐藏密码' : '显示密码');
      icon.className = 'layui-icon ' + (show ? 'layui-icon-eye' : 'layui-icon-eye-invisible');
    });
  }

  /* 密码强度：长度与字符种类（小写、大写、数字、其他）；随输入更新，读屏软件礼貌地读出 */
  var STRENGTH = ['弱', '中', '强'];

  function strength(value) {
    var kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter(function (re) {
      return re.test(value);
    }).length;
    var n = length(value);
    if (n < rules.passwordMin || kinds < 2) return 0;
    return n >= 12 && kinds >= 3 ? 2 : 1;
  }

  function bindStrength(input) {
    var hint = document.getElementById(input.id + '-hint');
    if (!hint) return;
    var meter = document.createElement('span');
    meter.className = 'password-strength';
    meter.setAttribute('aria-live', 'polite');
    hint.appendChild(document.createTextNode(' '));
    hint.appendChild(meter);
    input.addEventListener('input', function () {
      meter.textContent = input.value ? '密码强度：' + STRENGTH[strength(input.value)] : '';
    });
  }

  /*
   * 服务器对新密码的检查（长度、常见密码），在花掉短信验证码之前做：改完密码离开输入框时，
   * 以及获取验证码之前。同一个值只问一次。
   */
  var checked = { value: null, ok: false, data: null };

  function refuse(form, data, focus) {
    if (!App.fieldError(form, data.field, data.message, { focus: focus })) App.banner(form, data.message, 'error');
  }

  App.checkNewPassword = function (form, options) {
    var focus = !options || options.focus !== false;
    var value = form.elements.namedItem('password').value;
    if (checked.value === value) {
      if (!checked.ok) refuse(form, checked.data, focus);
      return Promise.resolve(checked.ok);
    }
    return App.api('/api/check_password', { password: value }).then(function (res) {
      var ok = App.ok(res);
      if (ok || res.data.field === 'password') checked = { value: value, ok: ok, data: res.data };
      if (!ok) refuse(form, res.data, focus);
      return ok;
    });
  };

  window.layui.use('form', function () {
    window.layui.form.verify(verifiers);
  });

  var toggles = document.querySelectorAll('.password-toggle');
  for (var i = 0; i < toggles.length; i++) bindToggle(toggles[i]);

  var fresh = document.querySelectorAll('input[autocomplete="new-password"][name="password"]');
  for (var j = 0; j < fresh.length; j++) bindStrength(fresh[j]);
})(window, document);
