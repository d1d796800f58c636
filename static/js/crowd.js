/* The audience's part of the page: a random device id kept in localStorage (only for "mine" and
   one vote per device), the crowd rounds and predictions the server tells us about, our own
   requests and votes, and the room counts for the presenter's status bar.
   Applying a message twice changes nothing; a row never goes back from answered to waiting. */
(function () {
  'use strict';
  const CL = window.CL;
  const KEY = 'cl-device';
  const SHAPE = /^[A-Za-z0-9_-]{16,64}$/;
  const FINAL = {done: true, failed: true};
  const listeners = [];
  const loading = new Map();

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);   // works on plain http too, unlike crypto.randomUUID
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function deviceId() {
    let id = null;
    try { id = localStorage.getItem(KEY); } catch (error) { /* storage off: this page only */ }
    if (!id || !SHAPE.test(id)) {
      id = newId();
      try { localStorage.setItem(KEY, id); } catch (error) { /* kept for this page only */ }
    }
    return id;
  }

  const crowd = CL.crowd = {
    device: deviceId(),
    rounds: new Map(),        // id -> round record
    mine: new Map(),          // round id -> Set of request numbers
    predictions: new Map(),   // id -> {prediction, panel, options, status, counts, votes}
    votes: new Map(),         // prediction id -> the option this device chose
    following: null,
  };

  crowd.on = function (listener) { listeners.push(listener); };
  function emit(change) { listeners.forEach(function (listener) { listener(change); }); }

  function ensureRound(id) {
    let round = crowd.rounds.get(id);
    if (!round) {
      round = {id: id, panel: null, params: {}, status: 'starting', count: 0, waiting: 0,
               requests: new Map(), dirty: new Set(), clockBase: null, detailed: false};
      crowd.rounds.set(id, round);
    }
    return round;
  }

  function mergeRound(summary) {
    const round = ensureRound(summary.round);
    if (FINAL[round.status] && !FINAL[summary.status]) return round;   // a late summary
    ['panel', 'params', 'status', 'error', 'count', 'waiting', 'answered', 'failed', 'longest',
     'ideal', 'tapping', 'elapsed'].forEach(function (key) {
      if (summary[key] !== undefined) round[key] = summary[key];
    });
    if (typeof summary.elapsed === 'number') round.clockBase = performance.now() / 1000 - summary.elapsed;
    return round;
  }

  function mergeRequest(message) {
    const round = ensureRound(message.round);
    const known = round.requests.get(message.i);
    if (known && known.type !== 'crowd_req' && message.type === 'crowd_req') return round;
    round.requests.set(message.i, message);
    round.dirty.add(message.i);
    return round;
  }

  function addMine(roundId, list) {
    const set = crowd.mine.get(roundId) || new Set();
    list.forEach(function (i) { set.add(i); });
    crowd.mine.set(roundId, set);
    const round = crowd.rounds.get(roundId);
    if (round) list.forEach(function (i) { round.dirty.add(i); });
  }

  CL.store.extend({
    crowd_hello: function (message) {
      (message.rounds || []).forEach(function (summary) {
        const round = mergeRound(summary);
        if (!FINAL[round.status]) round.detailed = false;   // we may have missed its rows
      });
      (message.predictions || []).forEach(function (p) { crowd.predictions.set(p.prediction, p); });
      Object.keys(message.mine || {}).forEach(function (id) { addMine(Number(id), message.mine[id]); });
      Object.keys(message.votes || {}).forEach(function (id) { crowd.votes.set(Number(id), message.votes[id]); });
      emit({kind: 'hello'});
    },
    crowd_round: function (message) { emit({kind: 'round', round: mergeRound(message)}); },
    crowd_rows: function (message) {
      const id = message.round;
      (message.waiting || []).forEach(function (r) { mergeRequest({type: 'crowd_req', round: id, i: r[0], t: r[1]}); });
      (message.served || []).forEach(function (r) {
        mergeRequest({type: 'crowd_span', round: id, i: r[0], client_start: r[1], client_end: r[2],
                      server_start: r[3], server_end: r[4], worker_no: r[5]});
      });
      (message.failed || []).forEach(function (r) {
        mergeRequest({type: 'crowd_error', round: id, i: r[0], client_start: r[1], client_end: r[2], error: String(r[3])});
      });
      emit({kind: 'rows', round: ensureRound(id)});
    },
    crowd_mine: function (message) {
      // Our own row comes with the answer to our tap; everyone else's with the next broadcast.
      if (typeof message.t === 'number') mergeRequest({type: 'crowd_req', round: message.round, i: message.i, t: message.t});
      addMine(message.round, [message.i]);
      emit({kind: 'mine', round: ensureRound(message.round)});
    },
    predict: function (message) {
      crowd.predictions.set(message.prediction, message);
      emit({kind: 'predict', prediction: message});
    },
    room: function (message) { if (CL.status.setRoom) CL.status.setRoom(message); },
  });

  /* GET /api/crowd/rounds/<id>: every row of a round we did not see from its start. */
  crowd.loadRound = function (id) {
    if (loading.has(id)) return loading.get(id);
    const request = CL.getJSON('/api/crowd/rounds/' + encodeURIComponent(id)).then(function (detail) {
      const round = mergeRound(detail);
      (detail.requests || []).forEach(mergeRequest);
      round.detailed = true;
      emit({kind: 'rows', round: round});
    }).catch(function (error) {
      ensureRound(id).detailed = true;
      emit({kind: 'problem', reason: 'could not load round ' + id + ': ' + error.message});
    }).finally(function () { loading.delete(id); });
    loading.set(id, request);
    return request;
  };

  crowd.latestFor = function (panelId) {
    let found = null;
    crowd.rounds.forEach(function (round) {
      if (round.panel === panelId && (!found || round.id > found.id)) found = round;
    });
    return found;
  };

  crowd.isMine = function (round, i) {
    const set = crowd.mine.get(round.id);
    return !!set && set.has(i);
  };

  /* Rounds as rows for compare panels: the longest any device waited, against its ideal. */
  crowd.compareRuns = function () {
    return Array.from(crowd.rounds.values()).filter(function (round) { return round.panel && round.count; })
      .sort(function (a, b) { return a.id - b.id; })
      .map(function (round) {
        return {id: 'r' + round.id, demo: 'crowd_' + (round.params.server || '?'), params: round.params,
                total: typeof round.longest === 'number' ? round.longest : null, ideal: round.ideal,
                status: FINAL[round.status] ? 'done' : 'running',
                label: 'round ' + round.id + ': the room on ' + round.params.server + '  ' +
                  CL.paramSummary(round.params) + ' · ' + round.count + ' taps'};
      });
  };

  crowd.isFinal = function (status) { return !!FINAL[status]; };

  /* Who we are goes first on every socket, from its open event (socket.js), so nothing this page
     sends on it (a follow, a tap, a vote) comes before it, not even in the moment between the
     socket opening and its hello; then whether we follow. The answer is crowd_hello. */
  let greeted = true;   // has this socket's own hello (the greeting) come already?
  function introduce() {
    greeted = false;
    CL.socket.send({type: 'device', id: crowd.device});
    if (CL.role !== 'presenter' && crowd.following !== null) sendFollow();
  }
  CL.socket.onOpen(introduce);

  function sendFollow() {
    CL.socket.send({type: 'follow', state: crowd.following ? 'following' : 'alone'});
  }

  crowd.setFollowing = function (value) {
    const changed = crowd.following !== value;
    crowd.following = value;
    if (changed && CL.socket.isOpen()) sendFollow();
  };

  /* A later hello (the answer to a sync) or a gap: ask again for the crowd's state we may have
     missed. The greeting needs nothing: our device went before it was read. */
  CL.store.on(function (change) {
    if (change.kind === 'hello' && !greeted) greeted = true;
    else if (change.kind === 'hello' || change.kind === 'runs') CL.socket.send({type: 'device', id: crowd.device});
  });
})();
