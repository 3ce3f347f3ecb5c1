// sofort chat bubble. Add it to any page with one tag:
//
//   <script src="https://chat.example.com/embed.js" async
//     data-settings='{"lang": "de", "title": "Hilfe", "color": "#0b6e4f", "position": "right"}'></script>
//
// Settings (all optional): lang ("de" or "en"; default: the browser's),
// title, color (#rgb or #rrggbb), position ("right" or "left"), open
// (true: open at once). window.sofortSettings, if set, is read too.
// The chat itself runs in an iframe served by sofort, so the host page's
// styles and scripts and the chat cannot interfere.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__sofortBubble) return;
  window.__sofortBubble = true;
  var origin = new URL(script.src, location.href).origin;
  var settings = {};
  try {
    settings = JSON.parse(script.getAttribute('data-settings') || '{}') || {};
  } catch (e) {
    console.warn('sofort: data-settings is not valid JSON, using defaults:', e.message);
  }
  if (window.sofortSettings && typeof window.sofortSettings === 'object') {
    settings = Object.assign({}, window.sofortSettings, settings);
  }
  var nav = (navigator.language || 'en').slice(0, 2).toLowerCase();
  var lang = settings.lang === 'de' || settings.lang === 'en' ? settings.lang : (nav === 'de' ? 'de' : 'en');
  var color = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(settings.color || '') ? settings.color : '#0b6e4f';
  var side = settings.position === 'left' ? 'left' : 'right';
  var label = { de: { open: 'Chat öffnen', close: 'Chat schließen', title: 'Kundenservice-Chat' },
                en: { open: 'Open chat', close: 'Close chat', title: 'Customer service chat' } }[lang];
  var title = typeof settings.title === 'string' ? settings.title.slice(0, 80) : '';

  var btn = document.createElement('button');
  btn.type = 'button';
  btn.setAttribute('aria-label', label.open);
  btn.setAttribute('aria-expanded', 'false');
  btn.setAttribute('aria-controls', 'sofort-frame');
  btn.textContent = '?';
  var bs = btn.style;
  bs.position = 'fixed'; bs.bottom = '20px'; bs[side] = '20px'; bs.zIndex = '2147483000';
  bs.width = '56px'; bs.height = '56px'; bs.borderRadius = '50%'; bs.border = '0';
  bs.background = color; bs.color = '#fff'; bs.font = '700 26px/56px system-ui, sans-serif';
  bs.boxShadow = '0 4px 14px rgba(0,0,0,.25)'; bs.cursor = 'pointer'; bs.padding = '0';

  var frame = null;
  function layout() {
    if (!frame) return;
    var fs = frame.style;
    var small = window.innerWidth < 520;
    fs.position = 'fixed'; fs.zIndex = '2147483001'; fs.border = '0'; fs.background = '#fff';
    fs.bottom = small ? '0' : '88px';
    fs[side] = small ? '0' : '20px';
    fs.width = small ? '100vw' : '380px';
    fs.height = small ? '100%' : 'min(620px, calc(100vh - 110px))';
    fs.borderRadius = small ? '0' : '12px';
    fs.boxShadow = '0 8px 30px rgba(0,0,0,.3)';
  }
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'sofort-frame';
      frame.title = title || label.title;
      var q = '?embed=1&lang=' + lang + (title ? '&title=' + encodeURIComponent(title) : '');
      frame.src = origin + '/' + q;
      frame.setAttribute('allow', 'clipboard-write');
      layout();
      document.body.appendChild(frame);
    }
    frame.style.display = 'block';
    btn.setAttribute('aria-expanded', 'true');
    btn.setAttribute('aria-label', label.close);
    btn.textContent = '×';
    frame.focus();
  }
  function close() {
    if (!frame) return;
    frame.style.display = 'none';
    btn.setAttribute('aria-expanded', 'false');
    btn.setAttribute('aria-label', label.open);
    btn.textContent = '?';
    btn.focus();
  }
  btn.addEventListener('click', function () {
    if (frame && frame.style.display !== 'none') close(); else open();
  });
  window.addEventListener('message', function (ev) {
    if (ev.origin === origin && ev.data && ev.data.type === 'sofort:close') close();
  });
  window.addEventListener('resize', layout);
  function mount() {
    document.body.appendChild(btn);
    if (settings.open === true) open();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
