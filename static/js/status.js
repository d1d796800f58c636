/* The status bar (connection, follow state, deck switcher) and toasts.
   remark re-parses <body> when it starts, so elements are looked up fresh and clicks delegated. */
(function () {
  'use strict';
  const CL = window.CL;
  const TOAST_MS = 6000;
  const MAX_TOASTS = 3;
  const CONN_TEXT = {connecting: 'connecting…', open: 'live', closed: 'offline', handout: 'handout · recorded runs'};

  let conn = 'connecting';
  let retryMs = 0;
  let following = null;     // audience only: true, false, or null for the presenter
  let room = null;          // presenter only: who is in the room (from the server's room messages)

  function find(selector) { return document.querySelector(selector); }

  function render() {
    const bar = find('.cl-bar');
    if (!bar) return;
    const connNode = find('.cl-conn');
    connNode.dataset.state = conn;
    connNode.textContent = conn === 'closed' && retryMs
      ? 'offline — retrying in ' + Math.ceil(retryMs / 1000) + ' s'
      : CONN_TEXT[conn];
    if (following !== null) {
      document.querySelectorAll('.cl-follow-text').forEach(function (node) {
        node.textContent = following ? 'following the presenter' : 'browsing alone';
      });
      document.querySelectorAll('.cl-follow-hint, .cl-follow-btn').forEach(function (node) {
        node.hidden = following;
      });
    }
    const roomNode = find('.cl-room');
    if (roomNode && room) roomNode.textContent = roomText(room);
    // The presenter's projector stays clean unless something is wrong (or the room is in).
    bar.dataset.quiet = String(CL.role === 'presenter' && conn === 'open' && !room);
    bar.hidden = false;
  }

  function roomText(counts) {
    const parts = [counts.connected + (counts.connected === 1 ? ' viewer' : ' viewers'),
                   counts.following + ' following', counts.alone + ' browsing alone'];
    if (counts.tapping) parts.push(counts.tapping + ' tapping');
    return parts.join(' · ');
  }

  function onClick(event) {
    if (event.target.closest('.cl-follow-btn')) CL.deck.follow();
  }

  function onChange(event) {
    const select = event.target.closest('.cl-deck-select');
    if (!select) return;
    const url = new URL(location.href);
    url.searchParams.set('deck', select.value);
    url.hash = '';
    location.assign(url.toString());
  }

  CL.status = {
    start: function () {
      document.addEventListener('click', onClick);
      document.addEventListener('change', onChange);
      render();
    },
    setConn: function (state, retryDelay) {
      conn = state;
      retryMs = retryDelay || 0;
      render();
    },
    setFollowing: function (value) {
      following = value;
      if (CL.crowd) CL.crowd.setFollowing(value);
      render();
    },
    setRoom: function (counts) {
      room = counts;
      render();
    },
    /* Text from outside (reject reasons, errors) goes in as textContent only. */
    toast: function (text, kind) {
      const box = find('.cl-toasts');
      if (!box) return;
      const toast = CL.el('div', 'cl-toast', text);
      toast.dataset.kind = kind || 'error';
      box.appendChild(toast);
      while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
      setTimeout(function () { toast.remove(); }, TOAST_MS);
    },
  };
})();
