// sofort chat widget. Every text from the server (answers, corpus titles,
// visitor and staff messages) is put into the page with textContent, never
// as HTML, so a document or message containing markup cannot run.
(function () {
  'use strict';

  var TEXTS = {
    de: {
      title: 'Kundenservice',
      input: 'Ihre Frage',
      placeholder: 'Frage eingeben …',
      send: 'Senden',
      restart: 'Neues Gespräch',
      close: 'Chat schließen',
      sources: 'Quelle',
      helped: 'Hat geholfen',
      notHelped: 'Hat nicht geholfen',
      thanks: 'Danke für Ihre Rückmeldung.',
      handoff: 'Mit einem Menschen sprechen',
      contactLabel: 'E-Mail oder Telefon (optional)',
      contactSend: 'Kontakt senden',
      contactDecline: 'Lieber nicht',
      typing: 'sofort schreibt …',
      agent: 'Kundenservice',
      offline: 'Verbindung unterbrochen, neuer Versuch …',
      error: 'Das hat nicht geklappt: ',
      limit: 'Dieses Gespräch ist sehr lang geworden. Bitte beginnen Sie ein neues Gespräch.',
      invalid: 'Das konnte ich nicht verarbeiten (ist die Nachricht zu lang?).',
      gone: 'Dieses Gespräch gibt es nicht mehr. Bitte beginnen Sie ein neues.',
      busy: 'Der Dienst ist gerade überlastet. Bitte gleich noch einmal versuchen.',
      rate: 'Zu viele Nachrichten in kurzer Zeit. Bitte einen Moment warten.'
    },
    en: {
      title: 'Customer service',
      input: 'Your question',
      placeholder: 'Type your question …',
      send: 'Send',
      restart: 'New conversation',
      close: 'Close chat',
      sources: 'Source',
      helped: 'Helped',
      notHelped: 'Did not help',
      thanks: 'Thank you for your feedback.',
      handoff: 'Talk to a person',
      contactLabel: 'E-mail or phone (optional)',
      contactSend: 'Send contact',
      contactDecline: 'No, thanks',
      typing: 'sofort is typing …',
      agent: 'Customer service',
      offline: 'Connection lost, retrying …',
      error: 'That did not work: ',
      limit: 'This conversation has grown very long. Please start a new one.',
      invalid: 'I could not process that (is the message too long?).',
      gone: 'This conversation no longer exists. Please start a new one.',
      busy: 'The service is busy right now. Please try again in a moment.',
      rate: 'Too many messages in a short time. Please wait a moment.'
    }
  };

  var params = new URLSearchParams(location.search);

  function pickLang() {
    var l = (params.get('lang') || '').toLowerCase();
    if (TEXTS[l]) return l;
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
    for (var i = 0; i < langs.length; i++) {
      var base = String(langs[i]).toLowerCase().slice(0, 2);
      if (TEXTS[base]) return base;
    }
    return 'en';
  }

  var lang = pickLang();
  var T = Object.assign({}, TEXTS[lang]);
  if (params.get('title')) T.title = params.get('title').slice(0, 80);
  var embedded = params.get('embed') === '1';
  var API = '/api/v1/conversations';
  var KEY = 'sofort.conversation';

  var $ = function (id) { return document.getElementById(id); };
  var log = $('log'), status = $('status'), form = $('composer'), input = $('input');
  var state = { id: null, last: 0, seen: {}, es: null, busy: 0 };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function button(text, onClick, cls) {
    var b = el('button', cls || '', text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  // Only web links become links; anything else (javascript:, data:) stays
  // plain text.
  function safeURL(u) {
    try {
      var p = new URL(u, location.href);
      return (p.protocol === 'https:' || p.protocol === 'http:') ? p.href : null;
    } catch (e) { return null; }
  }

  function setStatus(text, isError) {
    status.textContent = text || '';
    status.className = 'status' + (isError ? ' error' : '');
  }

  function request(method, url, body) {
    var opts = { method: method, headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) {
          var err = new Error((data && data.error && data.error.message) || res.statusText);
          err.status = res.status;
          err.code = data && data.error && data.error.code;
          throw err;
        }
        return data;
      });
    });
  }

  // Visitors get texts in their language; the server's message (English,
  // for developers) goes to the console.
  function showError(err) {
    if (window.console) console.warn('sofort:', err.status || '', err.message);
    if (err.code === 'limit') setStatus(T.limit, true);
    else if (err.status === 429) setStatus(T.rate, true);
    else if (err.status === 413 || err.status === 422) setStatus(T.invalid, true);
    else if (err.status === 404) setStatus(T.gone, true);
    else if (err.status >= 500) setStatus(T.busy, true);
    else setStatus(T.error + err.message, true);
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function disableIn(node) {
    var bs = node.querySelectorAll('button, input');
    for (var i = 0; i < bs.length; i++) bs[i].disabled = true;
  }

  function renderSources(m, box) {
    if (!m.sources || !m.sources.length) return;
    var ul = el('ul', 'sources');
    ul.setAttribute('aria-label', T.sources);
    m.sources.forEach(function (s) {
      var li = el('li');
      var href = safeURL(s.url);
      if (href) {
        var a = el('a', 'source', s.title || href);
        a.href = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        li.appendChild(a);
      } else {
        li.appendChild(el('span', 'source', s.title || s.doc_id));
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function renderControls(m, box) {
    var controls = el('div', 'controls');
    if (m.decision === 'clarify' && m.choices) {
      m.choices.forEach(function (c) {
        controls.appendChild(button(c.title || c.doc_id, function () {
          disableIn(controls);
          send({ choice: c.doc_id });
        }, 'choice'));
      });
    }
    var actions = m.actions || [];
    if (actions.indexOf('feedback') >= 0) {
      var fb = el('span', 'feedback');
      fb.appendChild(button(T.helped, function () { feedback(m.id, true, fb); }, 'helped'));
      fb.appendChild(button(T.notHelped, function () { feedback(m.id, false, fb); }, 'not-helped'));
      controls.appendChild(fb);
    }
    if (actions.indexOf('handoff') >= 0) {
      controls.appendChild(button(T.handoff, function (ev) {
        ev.target.disabled = true;
        send({ handoff: true });
      }, 'handoff'));
    }
    if (controls.childNodes.length) box.appendChild(controls);
    if (actions.indexOf('contact') >= 0) {
      var f = el('form', 'contact-form');
      var id = 'contact-' + m.id;
      var label = el('label', 'visually-hidden', T.contactLabel);
      label.htmlFor = id;
      var field = el('input');
      field.type = 'text';
      field.id = id;
      field.maxLength = 200;
      field.placeholder = T.contactLabel;
      field.autocomplete = 'email';
      var ok = el('button', 'primary', T.contactSend);
      ok.type = 'submit';
      f.appendChild(label);
      f.appendChild(field);
      f.appendChild(ok);
      f.appendChild(button(T.contactDecline, function () {
        disableIn(f);
        send({ contact: '' });
      }, 'decline'));
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = field.value.trim();
        if (!v) { field.focus(); return; }
        disableIn(f);
        send({ contact: v });
      });
      box.appendChild(f);
    }
  }

  // render shows a message once, in id order, whether it came from a POST
  // response, the history or the event stream.
  function render(m) {
    if (!m || !m.id || state.seen[m.id]) return;
    state.seen[m.id] = true;
    var box = el('div', 'msg ' + (m.role || 'bot'));
    box.dataset.id = String(m.id);
    if (m.decision) box.dataset.decision = m.decision;
    if (m.score) box.dataset.score = String(m.score);
    if (m.role === 'agent') box.appendChild(el('div', 'author', T.agent + (m.author ? ' · ' + m.author : '')));
    box.appendChild(el('p', 'text', m.text || ''));
    renderSources(m, box);
    if (m.role !== 'visitor') renderControls(m, box);
    var after = null;
    if (m.id < state.last) {
      var nodes = log.querySelectorAll('.msg');
      for (var i = 0; i < nodes.length; i++) {
        if (Number(nodes[i].dataset.id) > m.id) { after = nodes[i]; break; }
      }
    }
    log.insertBefore(box, after);
    if (m.id > state.last) state.last = m.id;
    scrollDown();
  }

  function typing(on) {
    state.busy += on ? 1 : -1;
    var t = log.querySelector('.typing');
    if (state.busy > 0 && !t) { log.appendChild(el('div', 'typing', T.typing)); scrollDown(); }
    if (state.busy <= 0 && t) t.remove();
  }

  function send(body) {
    // The start failed earlier (offline?): try again, then send.
    if (!state.id) return start(true).then(function () { return state.id ? send(body) : null; });
    body.lang = lang;
    setStatus('');
    typing(true);
    return request('POST', API + '/' + encodeURIComponent(state.id) + '/messages', body)
      .then(function (d) { d.messages.forEach(render); })
      .catch(showError)
      .then(function () { typing(false); });
  }

  function feedback(id, helped, box) {
    disableIn(box);
    setStatus('');
    return request('POST', API + '/' + encodeURIComponent(state.id) + '/feedback', { message_id: id, helped: helped })
      .then(function (d) { d.messages.forEach(render); setStatus(T.thanks); })
      .catch(showError);
  }

  function connect() {
    if (state.es) state.es.close();
    if (!window.EventSource) return;
    var es = new EventSource(API + '/' + encodeURIComponent(state.id) + '/events?after=' + state.last);
    state.es = es;
    es.addEventListener('message', function (ev) {
      try { render(JSON.parse(ev.data)); } catch (e) { /* a broken event is skipped */ }
    });
    es.addEventListener('open', function () { if (status.textContent === T.offline) setStatus(''); });
    es.addEventListener('error', function () {
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (unknown conversation, too many
        // streams): try again later rather than hammer it.
        setTimeout(function () { if (state.es === es) connect(); }, 10000);
      }
      setStatus(T.offline);
    });
  }

  function history(id) {
    return request('GET', API + '/' + encodeURIComponent(id) + '?after=' + state.last).then(function (d) {
      d.messages.forEach(render);
      if (d.more) return history(id);
    });
  }

  function start(fresh) {
    var saved = null;
    if (!fresh) { try { saved = localStorage.getItem(KEY); } catch (e) { /* storage off */ } }
    var p = Promise.resolve(false);
    if (saved) {
      state.id = saved;
      p = history(saved).then(function () { return true; }, function (err) {
        if (err.status === 404) { state.id = null; return false; }
        throw err;
      });
    }
    return p.then(function (resumed) {
      if (resumed) return;
      return request('POST', API, { lang: lang }).then(function (d) {
        state.id = d.conversation.id;
        try { localStorage.setItem(KEY, state.id); } catch (e) { /* storage off */ }
        d.messages.forEach(render);
      });
    }).then(connect).catch(showError);
  }

  function restart() {
    if (state.es) state.es.close();
    state = { id: null, last: 0, seen: {}, es: null, busy: 0 };
    log.textContent = '';
    setStatus('');
    try { localStorage.removeItem(KEY); } catch (e) { /* storage off */ }
    start(true).then(function () { input.focus(); });
  }

  // Static texts.
  document.documentElement.lang = lang;
  document.title = T.title;
  $('chat-title').textContent = T.title;
  $('input-label').textContent = T.input;
  input.placeholder = T.placeholder;
  $('send').textContent = T.send;
  var restartBtn = $('chat-restart');
  restartBtn.title = T.restart;
  restartBtn.setAttribute('aria-label', T.restart);
  restartBtn.addEventListener('click', restart);
  var closeBtn = $('chat-close');
  closeBtn.title = T.close;
  closeBtn.setAttribute('aria-label', T.close);
  if (embedded) {
    closeBtn.hidden = false;
    var closeChat = function () { window.parent.postMessage({ type: 'sofort:close' }, '*'); };
    closeBtn.addEventListener('click', closeChat);
    document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') closeChat(); });
  }

  // A hidden tab gives its stream back after a while: browsers allow only
  // six connections per server, and an idle stream still costs the server
  // memory. Coming back reconnects and replays what was missed.
  var hideTimer = null;
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      hideTimer = setTimeout(function () {
        if (state.es) { state.es.close(); state.es = null; }
      }, 30000);
    } else {
      clearTimeout(hideTimer);
      if (!state.es && state.id) connect();
    }
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    send({ text: text });
  });

  start(false);
})();
