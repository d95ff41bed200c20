/*
 * The image captcha: a new UUID each time; clicking the image or its refresh button gets another. When the
 * image fails to load (429 too many requests, 503 unavailable) the page shows readable placeholder text and a
 * message beside the field instead of a broken image.
 */
(function (window, document) {
  'use strict';

  var App = window.App;

  function newUuid() {
    var c = window.crypto;
    if (typeof c.randomUUID === 'function') return c.randomUUID();
    var b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // the RFC 4122 variant
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* Returns {uuid(), value(), renew(), failed()}; call renew() after every submission: a captcha is used once */
  App.captcha = function (form) {
    var img = form.querySelector('.captcha-image'); // one per form: ids differ where a page has two
    var placeholder = form.querySelector('.captcha-placeholder');
    var input = form.elements.namedItem('captcha');
    var failed = false;

    function renew() {
      if (failed) App.clearFieldError(form, input); // the last image's failure; the caller shows any refusal
      failed = false;
      input.value = '';
      placeholder.hidden = true;
      img.style.visibility = '';
      img.dataset.uuid = newUuid();
      img.src = '/get_captcha?captcha_uuid=' + encodeURIComponent(img.dataset.uuid);
    }

    img.addEventListener('error', function () {
      failed = true;
      img.style.visibility = 'hidden';
      placeholder.hidden = false;
      App.fieldError(form, input, App.say('page.captcha_failed'), { focus: false });
    });
    img.addEventListener('click', renew);
    var refresh = form.querySelector('.captcha-refresh');
    refresh.disabled = false;
    refresh.addEventListener('click', function () {
      renew();
      input.focus();
    });
    renew();

    return {
      uuid: function () { return img.dataset.uuid || ''; },
      value: function () { return input.value.trim(); },
      renew: renew,
      /* Not loaded: do not submit yet, the server could only answer that the captcha is wrong */
      failed: function () {
        if (failed) App.fieldError(form, input, App.say('page.captcha_failed'));
        return failed;
      }
    };
  };
})(window, document);
