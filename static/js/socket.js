/* One WebSocket to /ws that comes back after a drop: exponential backoff with jitter,
   a sync when a hidden tab shows again, and a re-sync when a seq number is skipped.
   What the page must say first on every socket (crowd.js: its device) goes out from the open
   event itself, before anything else can be sent on that socket. */
(function () {
  'use strict';
  const CL = window.CL;
  const BASE_DELAY = 500;     // ms before the first retry
  const MAX_DELAY = 15000;    // a phone that lost Wi-Fi should not wait minutes

  let ws = null;
  let hooks = null;
  let attempt = 0;
  let retryTimer = null;
  let lastSeq = null;
  let opened = false;         // has this page ever been connected?
  const openers = [];         // run first on every new socket (CL.socket.onOpen)

  function socketUrl() {
    return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
  }

  function setState(state, detail) {
    document.body.dataset.conn = state;
    hooks.onState(state, detail);
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (ws) return;
    setState('connecting');
    const socket = ws = new WebSocket(socketUrl());
    socket.addEventListener('open', function () {
      attempt = 0;
      // Before setState: its hooks, and any send they lead to, must come after the openers'.
      openers.forEach(function (opener) { opener(); });
      setState('open');
      // The server greets every new socket with hello; after a drop ask again to be sure.
      if (opened) send({type: 'sync'});
      opened = true;
    });
    socket.addEventListener('message', function (event) { receive(event.data); });
    socket.addEventListener('close', function () {
      if (ws !== socket) return;
      ws = null;
      lastSeq = null;
      scheduleRetry();
    });
  }

  function scheduleRetry() {
    const ceiling = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, attempt));
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));  // jitter: a room does not reconnect in step
    attempt += 1;
    setState('closed', delay);
    retryTimer = setTimeout(connect, delay);
  }

  function receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      return;   // not ours to show; the server only sends JSON
    }
    const gap = trackSeq(message);
    hooks.onMessage(message);
    if (gap) hooks.onGap();
  }

  function trackSeq(message) {
    if (message.type === 'hello') {
      lastSeq = message.seq;
      return false;
    }
    if (typeof message.seq !== 'number') return false;
    // An `ev` frame carries several events: seq is its first, the others follow one by one.
    const last = message.seq + (Array.isArray(message.ev) ? Math.max(message.ev.length - 1, 0) : 0);
    const gap = lastSeq !== null && message.seq > lastSeq + 1;
    if (lastSeq === null || last > lastSeq) lastSeq = last;
    return gap;
  }

  function send(message) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  function onVisible() {
    if (document.visibilityState !== 'visible') return;
    if (ws && ws.readyState === WebSocket.OPEN) {
      send({type: 'sync'});
    } else if (!ws) {
      attempt = 0;
      connect();   // do not sit out the backoff once someone is looking
    }
  }

  CL.socket = {
    /* hooks: onMessage(message), onState('connecting'|'open'|'closed', retryDelayMs), onGap() */
    start: function (given) {
      hooks = given;
      document.addEventListener('visibilitychange', onVisible);
      window.addEventListener('online', onVisible);
      connect();
    },
    send: send,
    /* opener() runs on every new socket before anything else is sent on it (the server takes a
       tap or a vote only from a socket that said its device). */
    onOpen: function (opener) { openers.push(opener); },
    isOpen: function () { return !!ws && ws.readyState === WebSocket.OPEN; },
  };
})();
