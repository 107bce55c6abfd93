// The dashboard's only own script (served from this origin; the Content-Security-Policy allows no inline
// script). htmx does the requests and swaps; this file adds what htmx leaves to the page:
//  - the CSRF token on every htmx request;
//  - never swapping a device card for an older version of itself (an answer and a live event can cross);
//  - resuming the live stream after the last event seen when htmx opens a new connection (the browser's own
//    reconnects already send Last-Event-ID);
//  - copy buttons and the live-connection status.
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : null;
  }

  document.addEventListener('htmx:configRequest', function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers['X-XSRF-TOKEN'] = token;
    }
  });

  function version(element) {
    var v = element && element.getAttribute && element.getAttribute('data-version');
    return v == null ? null : Number(v);
  }

  function isStale(incoming, target) {
    var next = version(incoming);
    var current = version(target);
    return next != null && current != null && next < current;
  }

  // live events arrive as out-of-band swaps
  document.addEventListener('htmx:oobBeforeSwap', function (event) {
    var fragment = event.detail.fragment;
    var incoming = fragment && (fragment.firstElementChild || fragment);
    var target = event.detail.target;
    if (incoming && incoming.id && target && target.id !== incoming.id && document.getElementById(incoming.id)) {
      event.detail.shouldSwap = false; // a new card for a grid that already shows it
    } else if (incoming && target && isStale(incoming, target)) {
      event.detail.shouldSwap = false;
    }
  });

  // answers to the card's own buttons
  document.addEventListener('htmx:beforeSwap', function (event) {
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains('card') || !event.detail.serverResponse) {
      return;
    }
    var template = document.createElement('template');
    template.innerHTML = event.detail.serverResponse;
    var incoming = template.content.firstElementChild;
    if (incoming && isStale(incoming, target)) {
      event.detail.shouldSwap = false;
    }
  });

  // resume where the page left off when htmx reconnects with a new EventSource
  var lastEventId = null;
  document.addEventListener('htmx:sseMessage', function (event) {
    if (event.detail && event.detail.lastEventId) {
      lastEventId = event.detail.lastEventId;
    }
  });
  function setLiveStatus(text, state) {
    var status = document.getElementById('live-status');
    if (status) {
      status.textContent = text;
      status.setAttribute('data-state', state);
    }
  }
  document.addEventListener('htmx:sseOpen', function () { setLiveStatus('Live', 'open'); });
  document.addEventListener('htmx:sseError', function () { setLiveStatus('Reconnecting…', 'reconnecting'); });

  function install() {
    if (window.htmx) {
      window.htmx.createEventSource = function (url) {
        var resume = lastEventId ? (url.indexOf('?') < 0 ? '?' : '&') + 'lastEventId=' + encodeURIComponent(lastEventId) : '';
        return new EventSource(url + resume, { withCredentials: true });
      };
    }
  }
  install();

  // copy buttons: <button data-copy="id-of-input-or-code">
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) {
      return;
    }
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { select(source); });
    } else {
      select(source);
      try { document.execCommand('copy'); done(); } catch (e) { /* selected for the user to copy */ }
    }
  });
  function select(element) {
    if (element.select) {
      element.select();
    }
  }
})();
