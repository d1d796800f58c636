/* The handout's seam: with the page's embedded data (script#cl-offline, written by
   `python app.py export`) there is no server and no socket. This swaps the page's two transports
   for that data, so store.js, panel.js and compare.js run unchanged:
     CL.getJSON(url)  answers /api/demos, /api/runs, /api/runs/<id>, /api/state, /api/crowd and
                      /api/crowd/rounds/<id> from it;
     CL.socket        opens nothing, says 'handout' and greets once with every run's summary,
                      then with every crowd round and prediction as the server would (crowd_hello).
   Loaded after socket.js; the live page does not load it at all. */
(function () {
  'use strict';
  const CL = window.CL;
  const node = document.getElementById('cl-offline');
  if (!node) return;
  const data = CL.offline = JSON.parse(node.textContent);
  const SUMMARY = ['id', 'demo', 'panel', 'params', 'status', 'total', 'ideal', 'started_at'];
  const summaries = data.runs.map(function (run) {
    const summary = {};
    SUMMARY.forEach(function (key) { summary[key] = run[key]; });
    return summary;
  });
  const answers = new Map([
    ['/api/demos', data.demos],
    ['/api/runs', summaries],
    ['/api/state', {slide: null, seq: 0, active: null}],
  ]);
  data.runs.forEach(function (run) { answers.set('/api/runs/' + run.id, run); });
  const crowd = data.crowd || {};
  const rounds = (crowd.rounds || []).map(function (detail) {
    answers.set('/api/crowd/rounds/' + detail.round, detail);
    const summary = Object.assign({}, detail);
    delete summary.requests;
    return summary;
  });
  const predictions = crowd.predictions || [];
  answers.set('/api/crowd', {rounds: rounds, predictions: predictions});

  /* The runs are embedded in their readable form: a request for another form (?format=compact)
     gets that, and store.js merges either. */
  CL.getJSON = function (url) {
    const path = url.split('?')[0];
    if (!answers.has(path)) return Promise.reject(new Error(url + ': not in this handout'));
    return Promise.resolve(JSON.parse(JSON.stringify(answers.get(path))));   // a copy, as a fetch gives
  };

  CL.socket = {
    start: function (hooks) {
      document.body.dataset.conn = 'handout';
      hooks.onState('handout');
      hooks.onMessage({type: 'hello', role: 'audience', slide: null, seq: 0, active: null,
                       runs: summaries, replays: {}, handout: {download: false}});
      hooks.onMessage({type: 'crowd_hello', at_seq: 0, rounds: rounds, predictions: predictions,
                       mine: {}, votes: {}});
    },
    send: function () { return false; },
    onOpen: function () {},   // never opens
    isOpen: function () { return false; },
  };
})();
