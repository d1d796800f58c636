/* What this page knows: the presenter's slide, the demo catalog and every run with its spans.
   Applying a message twice changes nothing, so a re-sync may overlap live events freely.
   Run events arrive compact (docs/ARCHITECTURE.md, "Compact wire format"): `ev` frames of
   records, and runs as compact details (in hello, and from GET /api/runs/<id>?format=compact);
   CL.wire.decode (wire.js) turns every record back into the readable event the runner wrote. */
(function () {
  'use strict';
  const CL = window.CL;
  const FINAL = {done: true, failed: true, timeout: true, cancelled: true};
  const listeners = [];
  const loading = new Map();

  const DEFAULT_UNIT = 1000;   // microseconds per count, when a run does not say
  const store = CL.store = {
    role: CL.role,
    epoch: null,        // the server database's id: a new one means everything here is stale
    slide: null,        // presenter's 0-based slide index
    slideSeq: -1,
    active: null,       // id of the run going on, or null
    layout: [],         // [[type, [field...], [kind...]]]: how records are laid out
    demos: new Map(),   // id -> {id, title, summary, kind, defaults}
    runs: new Map(),    // id -> run record
  };

  store.on = function (listener) { listeners.push(listener); };

  function emit(change) {
    listeners.forEach(function (listener) { listener(change); });
  }

  function ensureRun(id) {
    let run = store.runs.get(id);
    if (!run) {
      run = {id: id, demo: null, panel: null, params: {}, status: 'running', total: null, ideal: null,
             spans: new Map(), order: [], errors: [], errorKeys: new Set(), detailed: false,
             cpu: [], loop: [], sampleKeys: new Set(),   // runner/sampler.py, drawn by lanes.js
             maxEnd: 0, seenAt: performance.now(), unit: DEFAULT_UNIT, tables: {}, events: {}};
      store.runs.set(id, run);
    }
    return run;
  }

  function setStatus(run, status) {
    // A late snapshot must not turn a finished run back into a running one.
    if (!status || (FINAL[run.status] && !FINAL[status])) return;
    run.status = status;
  }

  function mergeSummary(summary) {
    const known = store.runs.get(summary.id);
    // A run that went on (or ended) while we were not listening has events we never saw.
    if (known && (summary.status === 'running' || summary.status !== known.status)) known.detailed = false;
    const run = ensureRun(summary.id);
    ['demo', 'panel', 'total', 'ideal', 'started_at'].forEach(function (key) {
      if (summary[key] !== undefined && summary[key] !== null) run[key] = summary[key];
    });
    if (summary.params) run.params = summary.params;
    if (typeof summary.unit === 'number') run.unit = summary.unit;
    setStatus(run, summary.status);
    return run;
  }

  /* A compact detail: its summary, then every record, as one change. */
  function mergeDetail(detail) {
    const run = mergeSummary(detail);
    if (Array.isArray(detail.layout)) store.layout = detail.layout;
    const frame = CL.wire.frameOf(detail.names);
    (detail.ev || []).forEach(function (record) {
      const message = CL.wire.decode(store.layout, run, record, frame);
      const apply = message && appliers[message.type];
      if (apply) apply(run, message);
    });
    run.detailed = true;
    return run;
  }

  /* A readable detail (GET /api/runs/<id>, as the handout embeds it): lists per event type. */
  function mergeReadable(detail) {
    const run = mergeSummary(detail);
    (detail.spans || []).forEach(function (span) { addSpan(run, span); });
    (detail.errors || []).forEach(function (error) { addError(run, error); });
    (detail.cpu || []).concat(detail.loop || []).forEach(function (sample) { addSample(run, sample); });
    run.detailed = true;
    return run;
  }

  function addSpan(run, span) {
    if (typeof span.i !== 'number') return;
    if (!run.spans.has(span.i)) run.order.push(span.i);
    run.spans.set(span.i, {
      i: span.i, client_start: span.client_start, client_end: span.client_end,
      server_start: span.server_start, server_end: span.server_end,
      worker: span.worker, actor: span.actor,
    });
    if (typeof span.client_end === 'number') run.maxEnd = Math.max(run.maxEnd, span.client_end);
  }

  function addError(run, error) {
    const key = error.i + '|' + error.message;
    if (run.errorKeys.has(key)) return;
    run.errorKeys.add(key);
    run.errors.push({i: error.i, message: String(error.message), client_start: error.client_start,
                     client_end: error.client_end, actor: error.actor, status: error.status});
  }

  /* cpu: one actor's share of a core over [t - dt, t]; loop: the event loop's lag at t. */
  function addSample(run, sample) {
    const key = sample.type + '|' + sample.t + '|' + (sample.actor || '');
    if (typeof sample.t !== 'number' || run.sampleKeys.has(key)) return;
    run.sampleKeys.add(key);
    if (sample.type === 'cpu') {
      run.cpu.push({t: sample.t, actor: String(sample.actor), busy: sample.busy, dt: sample.dt});
    } else {
      run.loop.push({t: sample.t, lag: sample.lag, in_flight: sample.in_flight});
    }
  }

  /* Event types this file does not draw yet are kept, by type, so a newer panel finds them. */
  function keepEvent(run, message) {
    (run.events[message.type] || (run.events[message.type] = [])).push(message);
  }

  function endRun(run, message) {
    if (typeof message.total === 'number') run.total = message.total;
    if (typeof message.ideal === 'number') run.ideal = message.ideal;
    setStatus(run, message.status || 'done');
    if (store.active === run.id) store.active = null;
  }

  /* How each event type changes a run (add one here for a new type; unknown ones are kept). */
  const appliers = store.appliers = {span: addSpan, error: addError, cpu: addSample, loop: addSample,
                                     run_end: endRun};

  /* A database we have not seen (reset, or a fresh instance): drop everything we knew. */
  function checkEpoch(epoch) {
    if (typeof epoch !== 'string' || epoch === store.epoch) return;
    if (store.epoch !== null) {
      store.runs.clear();
      loading.clear();
      store.slideSeq = -1;
      store.active = null;
      emit({kind: 'reset'});
    }
    store.epoch = epoch;
  }

  const handlers = {
    hello: function (message) {
      checkEpoch(message.epoch);
      store.role = message.role;
      store.active = message.active;
      if (Array.isArray(message.layout)) store.layout = message.layout;
      (message.runs || []).forEach(mergeSummary);
      (message.details || []).forEach(mergeDetail);
      setSlide(message.slide, message.seq);
      emit({kind: 'hello', message: message});   // replay.js and handout.js read their state
    },
    ev: function (message) {
      const run = ensureRun(message.run);
      const frame = CL.wire.frameOf(message.names);
      (message.ev || []).forEach(function (record, k) {
        const event = CL.wire.decode(store.layout, run, record, frame);
        if (!event) return;
        event.seq = message.seq + k;
        event.at = message.at;
        (appliers[event.type] || keepEvent)(run, event);
      });
      emit({kind: 'run', run: run});
      if (!run.detailed) store.loadRun(run.id);
    },
    slide: function (message) {
      if (setSlide(message.slide, message.seq)) emit({kind: 'slide'});
    },
    run_start: function (message) {
      const run = ensureRun(message.run);
      run.demo = message.demo;
      run.panel = message.panel;
      run.params = message.params || {};
      if (typeof message.unit === 'number') run.unit = message.unit;
      run.detailed = true;     // we see it from its first event
      run.seenAt = performance.now();
      setStatus(run, 'running');
      store.active = run.id;
      emit({kind: 'run', run: run, started: true});
    },
    span: function (message) { runEvent(message, addSpan); },
    error: function (message) { runEvent(message, addError); },
    cpu: function (message) { runEvent(message, addSample); },
    loop: function (message) { runEvent(message, addSample); },
    run_end: function (message) { runEvent(message, endRun); },
    reject: function (message) { emit({kind: 'reject', reason: String(message.reason || 'refused')}); },
  };

  function setSlide(slide, seq) {
    if (typeof slide !== 'number' || (typeof seq === 'number' && seq < store.slideSeq)) return false;
    store.slide = slide;
    if (typeof seq === 'number') store.slideSeq = seq;
    return true;
  }

  function runEvent(message, apply) {
    const run = ensureRun(message.run);
    apply(run, message);
    emit({kind: 'run', run: run});
    // An event for a run we never saw start: fetch the rest of it.
    if (!run.detailed) store.loadRun(run.id);
  }

  /* Another module's message type (replay, handout): handler(message). */
  store.handle = function (type, handler) { handlers[type] = handler; };
  store.emit = emit;

  store.apply = function (message) {
    const handler = message && handlers[message.type];
    if (handler) handler(message);
  };

  /* Message types of other parts of the page (crowd.js): {type: handler}, never replacing ours. */
  store.extend = function (more) {
    Object.keys(more).forEach(function (type) { if (!handlers[type]) handlers[type] = more[type]; });
  };

  /* GET /api/runs/<id>?format=compact: summary + records; one request in flight per run. */
  store.loadRun = function (id) {
    if (loading.has(id)) return loading.get(id);
    const epoch = store.epoch;
    const request = CL.getJSON('/api/runs/' + encodeURIComponent(id) + '?format=compact').then(function (detail) {
      if (store.epoch !== epoch) return;   // an answer about a database we dropped
      emit({kind: 'run', run: Array.isArray(detail.ev) ? mergeDetail(detail) : mergeReadable(detail)});
    }).catch(function (error) {
      ensureRun(id).detailed = true;   // live events still fill it; do not ask again per event
      emit({kind: 'problem', reason: 'could not load run ' + id + ': ' + error.message});
    }).finally(function () { loading.delete(id); });
    loading.set(id, request);
    return request;
  };

  /* After a gap in seq: the current state, the run list, then the runs on show in detail. */
  store.resync = function (shownRunIds) {
    return Promise.all([CL.getJSON('/api/state'), CL.getJSON('/api/runs')]).then(function (answers) {
      const state = answers[0];
      checkEpoch(state.epoch);
      answers[1].forEach(mergeSummary);
      store.active = state.active;
      if (setSlide(state.slide, state.seq)) emit({kind: 'slide'});
      const wanted = new Set(shownRunIds || []);
      if (state.active !== null && state.active !== undefined) wanted.add(state.active);
      emit({kind: 'runs', state: state});   // replay.js and handout.js read their state
      return Promise.all(Array.from(wanted).map(store.loadRun));
    }).catch(function (error) {
      emit({kind: 'problem', reason: 're-sync failed: ' + error.message});
    });
  };

  store.loadDemos = function () {
    return CL.getJSON('/api/demos').then(function (demos) {
      demos.forEach(function (demo) { store.demos.set(demo.id, demo); });
      emit({kind: 'demos'});
    }).catch(function (error) {
      emit({kind: 'problem', reason: 'could not load the demo list: ' + error.message});
    });
  };

  /* The run a panel shows: the latest for its data-panel, else the latest of its demo. */
  store.latestFor = function (panelId, demoId) {
    let byPanel = null;
    let byDemo = null;
    store.runs.forEach(function (run) {
      if (run.panel === panelId && (!byPanel || run.id > byPanel.id)) byPanel = run;
      if (run.demo === demoId && (!byDemo || run.id > byDemo.id)) byDemo = run;
    });
    return byPanel || byDemo;
  };

  store.isFinal = function (status) { return !!FINAL[status]; };
})();
