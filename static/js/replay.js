/* Replaying a recorded run on its panel: its bars grow at the recorded pace (times a speed), and
   the panel says "recorded <date>" on every screen, so a recording never passes for live.
   In the handout every panel shows its last run (recorded) and a Replay button; the speed comes
   from the bar's select. In the live app it is the presenter's fallback when a run cannot happen:
   the server broadcasts {type: 'replay'} and every page plays the same recording, placed by the
   server's clock (a phone that joins late starts where the others are). */
(function () {
  'use strict';
  const CL = window.CL;
  const replays = new Map();   // panel id -> {key, run, events, next, end, anchorAt, anchorT, speed, afterRun}
  const details = new Map();   // 'source/id' -> Promise of a recorded run (GET /api/runs/<id> shape)

  const isNumber = CL.isNumber;

  function two(value) { return (value < 10 ? '0' : '') + value; }

  /* "2026-12-01 19:42" in the viewer's time zone. */
  function stamp(seconds) {
    if (!isNumber(seconds)) return 'at an unknown time';
    const d = new Date(seconds * 1000);
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' +
      two(d.getHours()) + ':' + two(d.getMinutes());
  }

  /* The run's events in recorded time: a span when it ended, an error when it happened. */
  function timeline(detail) {
    const events = [];
    (detail.spans || []).forEach(function (span) {
      events.push({t: isNumber(span.client_end) ? span.client_end : 0, span: span});
    });
    const last = events.reduce(function (most, event) { return Math.max(most, event.t); }, 0);
    const end = Math.max(last, isNumber(detail.total) ? detail.total : 0);
    (detail.errors || []).forEach(function (error) {
      events.push({t: isNumber(error.client_end) ? error.client_end : end, error: error});
    });
    events.sort(function (a, b) { return a.t - b.t; });
    return {events: events, end: end};
  }

  /* A run record as store.js keeps one, filled by the replay instead of the socket. */
  function blankRun(detail, panel, key) {
    return {id: 'replay:' + key, demo: detail.demo, panel: panel, params: detail.params || {},
            status: 'running', total: null, ideal: null, started_at: detail.started_at,
            spans: new Map(), order: [], errors: [], errorKeys: new Set(), detailed: true,
            maxEnd: 0, seenAt: performance.now(), replay: true};
  }

  function apply(run, event) {
    if (event.span) {
      const span = event.span;
      if (!run.spans.has(span.i)) run.order.push(span.i);
      run.spans.set(span.i, span);
      if (isNumber(span.client_end)) run.maxEnd = Math.max(run.maxEnd, span.client_end);
    } else {
      run.errors.push(event.error);
    }
  }

  function recordedTime(replay, now) {
    return replay.anchorT + (now - replay.anchorAt) / 1000 * replay.speed;
  }

  /* One frame of every replay going on; true while any still plays. */
  function advance(replay, now) {
    if (replay.done) return false;
    const run = replay.run;
    const t = recordedTime(replay, now);
    while (replay.next < replay.events.length && replay.events[replay.next].t <= t) {
      apply(run, replay.events[replay.next]);
      replay.next += 1;
    }
    run.seenAt = now - t * 1000;   // the timeline's "now" line runs at the replay's pace
    if (replay.next < replay.events.length || t < replay.end) return true;
    run.total = replay.detail.total;
    run.ideal = replay.detail.ideal;
    run.status = replay.detail.status;
    replay.done = true;
    return false;
  }

  const schedule = CL.frameBatcher(function (now) {
    let going = false;
    replays.forEach(function (replay) { if (advance(replay, now)) going = true; });
    if (CL.panel) CL.panel.refresh();
    if (going) schedule();
  });

  function speed() {
    const select = document.querySelector('.cl-speed');
    const value = select ? Number(select.value) : 1;
    return value > 0 ? value : 1;
  }

  /* Play `detail` on `panel` from `elapsed` recorded seconds on (0: from the start). */
  function play(panel, detail, key, options) {
    const shape = timeline(detail);
    const replay = {key: key, detail: detail, run: blankRun(detail, panel, key), events: shape.events,
                    end: shape.end, next: 0, anchorAt: performance.now(),
                    anchorT: Math.max(0, options.elapsed || 0), speed: options.speed || 1,
                    afterRun: isNumber(options.afterRun) ? options.afterRun : Infinity, done: false};
    replays.set(panel, replay);
    schedule();
    return replay.run;
  }

  function recorded(source, id) {
    const key = source + '/' + id;
    if (!details.has(key)) {
      const url = source === 'handout' ? '/api/runs/' + id
        : '/api/recorded/' + encodeURIComponent(source) + '/' + encodeURIComponent(id);
      details.set(key, CL.getJSON(url).catch(function (error) {
        details.delete(key);
        throw error;
      }));
    }
    return details.get(key);
  }

  /* A replay the server announced (broadcast, or in a hello for a late viewer). */
  function announced(info, elapsed) {
    if (!info || typeof info.panel !== 'string') return;
    const key = info.source + '/' + info.run + '@' + info.started_at;
    const going = replays.get(info.panel);
    if (going && going.key === key) return;   // a re-sync: it is already playing
    recorded(info.source, info.run).then(function (detail) {
      play(info.panel, detail, key, {elapsed: elapsed, afterRun: info.after_run});
    }).catch(function (error) {
      CL.status.toast('could not load the recorded run: ' + error.message);
    });
  }

  CL.store.handle('replay', function (message) { announced(message, 0); });
  CL.store.on(function (change) {
    const hello = (change.kind === 'hello' && change.message) || (change.kind === 'runs' && change.state);
    if (!hello || !hello.replays) return;
    Object.keys(hello.replays).forEach(function (panel) {
      const info = hello.replays[panel];
      announced(info, isNumber(hello.now) && isNumber(info.started_at) ? hello.now - info.started_at : 0);
    });
  });

  document.addEventListener('change', function (event) {
    if (!event.target.closest('.cl-speed')) return;
    const now = performance.now();
    replays.forEach(function (replay) {   // carry on from where it is, at the new pace
      replay.anchorT = recordedTime(replay, now);
      replay.anchorAt = now;
      replay.speed = speed();
    });
  });

  CL.replay = {
    /* The replay a panel shows, unless a live run of that panel came after (a higher id than
       the runs the server knew when the replay began). */
    runFor: function (panel, latest) {
      const replay = replays.get(panel);
      if (!replay) return null;
      if (latest && !latest.replay && latest.panel === panel && typeof latest.id === 'number' &&
          latest.id > replay.afterRun) return null;
      return replay.run;
    },
    /* "recorded <date>" for every run a page did not see live; '' for a live one. */
    label: function (run) {
      if (!run) return '';
      if (run.replay) return 'recorded ' + stamp(run.started_at) + (CL.offline ? ' · replay' : ' · replay, not live');
      return CL.offline ? 'recorded ' + stamp(run.started_at) : '';
    },
    /* The panel's Replay button. The handout replays its own copy; the live presenter asks the
       server, which picks the recording and tells every page. */
    request: function (node, run, params) {
      if (CL.offline) {
        if (!run) return;
        const id = run.replay ? replays.get(node.dataset.panel).detail.id : run.id;
        return recorded('handout', id).then(function (detail) {
          play(node.dataset.panel, detail, 'handout/' + id + '@' + performance.now(), {speed: speed()});
        });
      }
      return fetch('/api/replays', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', Accept: 'application/json'},
        body: JSON.stringify({demo: node.dataset.demo, panel: node.dataset.panel, params: params || {}}),
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || 'HTTP ' + response.status);
        });
      }).catch(function (error) { CL.status.toast('replay: ' + error.message); });
    },
    stamp: stamp,
    /* The status bar repeats a replay's label (outside the scaled slide, so it reads on a phone). */
    showNote: function (nodes) {
      if (CL.offline) return;
      const bar = document.querySelector('.cl-bar');
      if (!bar) return;
      const shown = nodes.find(function (node) { return node.dataset.recorded === 'replay'; });
      let note = bar.querySelector('.cl-replay-note');
      if (!shown && !note) return;
      if (!note) note = bar.insertBefore(CL.el('span', 'cl-replay-note'), bar.children[1] || null);
      const text = shown ? '▶ ' + shown.querySelector('.panel-recorded').textContent : '';
      CL.setText(note, text);
      note.hidden = !shown;
    },
  };
})();
