/* Crowd panels: every .crowd-panel on the visible slide shows its latest round live. The presenter
   sets workers, delay and server (specs from the one parameter table, via GET /api/demos) and opens
   and closes rounds; while a round is open every audience device gets a big Send button, and sees
   its own rows marked and its own wait in words. Taps carry nothing: the server decides. */
(function () {
  'use strict';
  const CL = window.CL;
  const VISIBLE = '.remark-slides-area .remark-visible .crowd-panel';
  const NAMES = ['workers', 'delay', 'server'];
  const PENDING_MS = 10000;
  const isPresenter = CL.role === 'presenter';
  const edits = new Map();   // panel -> {param: value} typed by the presenter
  let mounted = [];
  let tapping = null;        // {timer} between a tap and its crowd_mine or reject
  let reason = null;         // the last refusal, shown under the button

  function panelParams(node) {
    try { return JSON.parse(node.dataset.params || '{}') || {}; } catch (error) { return {}; }
  }

  function specs() {
    const demo = CL.store.demos.values().next().value;
    if (!demo) return [];
    return demo.params.filter(function (spec) { return NAMES.indexOf(spec.name) >= 0; });
  }

  function input(spec, value) {
    let field;
    if (spec.kind === 'choice') {
      field = CL.el('select');
      spec.choices.forEach(function (choice) { field.appendChild(CL.el('option', null, choice)).value = choice; });
    } else {
      field = CL.el('input');
      field.type = 'number';
      field.min = spec.min;
      field.max = spec.max;
      field.step = spec.step;
    }
    field.name = spec.name;
    field.value = value;
    return field;
  }

  function build(node) {
    const given = Object.assign({}, panelParams(node), edits.get(node.dataset.panel) || {});
    const head = CL.el('div', 'panel-head');
    head.appendChild(CL.el('span', 'panel-title', 'The room is the load'));
    const params = head.appendChild(CL.el('span', 'panel-params'));
    specs().forEach(function (spec) {
      const field = params.appendChild(CL.el('label', 'panel-param'));
      field.dataset.param = spec.name;
      field.title = spec.meaning;
      field.appendChild(CL.el('span', 'panel-param-name', spec.name));
      if (isPresenter) field.appendChild(input(spec, given[spec.name]));
      else field.appendChild(CL.el('span', 'panel-param-value', String(given[spec.name])));
    });
    if (isPresenter) {
      const actions = head.appendChild(CL.el('span', 'panel-actions'));
      actions.appendChild(CL.el('button', 'panel-run crowd-open', 'Open round')).type = 'button';
      actions.appendChild(CL.el('button', 'panel-cancel crowd-close', 'Close round')).type = 'button';
    }
    const live = CL.el('div', 'crowd-live');
    live.appendChild(CL.el('span', 'crowd-status'));
    live.appendChild(CL.el('span', 'crowd-waiting'));
    const plot = CL.el('div', 'panel-timeline crowd-timeline');
    node.replaceChildren(head, live, CL.el('div', 'crowd-before'), plot);
    return {node: node, plot: CL.crowdplot.create(plot)};
  }

  const setText = CL.setText;

  function statusText(round) {
    if (!round) return isPresenter ? 'no round yet' : 'waiting for the presenter';
    const count = round.count + (round.count === 1 ? ' request' : ' requests');
    switch (round.status) {
      case 'starting': return 'starting the slow server…';
      case 'open': return 'open: ' + count + ' so far';
      case 'closed': return 'closed: ' + count;
      case 'done': return 'done: ' + count + (typeof round.longest === 'number' ? ', longest ' + CL.seconds(round.longest) : '');
      default: return round.error || round.status;
    }
  }

  /* My latest request in this round, in words. */
  function youText(round, now) {
    if (!round) return '';
    const mine = CL.crowd.mine.get(round.id);
    if (!mine || !mine.size) return round.status === 'open' && !isPresenter ? 'Tap Send: one real request goes to the server for you.' : '';
    const i = Math.max.apply(null, Array.from(mine));
    const request = round.requests.get(i);
    if (!request || request.type === 'crowd_req') {
      const since = request && typeof request.t === 'number' ? CL.crowdplot.clock(round, now) - request.t : 0;
      return 'your request #' + i + ' is waiting… ' + CL.seconds(Math.max(0, since));
    }
    if (request.type === 'crowd_error') return 'your request #' + i + ' failed: ' + request.error;
    return 'you waited ' + CL.seconds(request.server_start - request.client_start) + ' for worker ' +
      request.worker_no + ' (then served in ' + CL.seconds(request.server_end - request.server_start) + ')';
  }

  /* The round this panel showed before the latest one: gunicorn's, once asyncio's is on. */
  function beforeText(node, round) {
    let before = null;
    CL.crowd.rounds.forEach(function (other) {
      if (other.panel === node.dataset.panel && round && other.id < round.id && other.count &&
          (!before || other.id > before.id)) before = other;
    });
    if (!before) return '';
    return 'before: round ' + before.id + ' on ' + before.params.server + ' (' + CL.paramSummary(before.params) + '): ' +
      before.count + ' requests, longest ' + CL.seconds(before.longest);
  }

  function myRequestWaiting(round) {
    const mine = round && CL.crowd.mine.get(round.id);
    if (!mine) return false;
    return Array.from(mine).some(function (i) {
      const request = round.requests.get(i);
      return !request || request.type === 'crowd_req';
    });
  }

  function update(record, now) {
    const node = record.node;
    const round = CL.crowd.latestFor(node.dataset.panel);
    if (round && !round.detailed) CL.crowd.loadRound(round.id);
    node.dataset.round = round ? round.id : '';
    node.dataset.status = round ? round.status : 'idle';
    setText(node.querySelector('.crowd-status'), statusText(round));
    const waiting = round && !CL.crowd.isFinal(round.status) ? round.waiting + ' waiting at the server' : '';
    setText(node.querySelector('.crowd-waiting'), waiting);
    setText(node.querySelector('.crowd-before'), beforeText(node, round));
    if (isPresenter) {
      const going = !!round && (round.status === 'open' || round.status === 'starting');
      node.querySelector('.crowd-open').hidden = going;
      node.querySelector('.crowd-open').disabled = document.body.dataset.conn !== 'open';
      node.querySelector('.crowd-close').hidden = !going;
    }
    return record.plot.sync(round, now) || (!!round && round.status === 'open');
  }

  /* The Send button, the refusal and "you waited …" sit in a dock outside the slide, in real
     screen pixels: a phone shows the slide scaled down, the button stays thumb-sized. */
  function dock() {
    let node = document.querySelector('.crowd-dock');
    if (!node) {
      node = document.body.appendChild(CL.el('div', 'crowd-dock'));
      const send = node.appendChild(CL.el('button', 'crowd-send', 'Send a request'));
      send.type = 'button';
      node.appendChild(CL.el('div', 'crowd-reason'));
      node.appendChild(CL.el('div', 'crowd-you'));
    }
    return node;
  }

  function updateDock(now) {
    const record = mounted[0];
    const round = record ? CL.crowd.latestFor(record.node.dataset.panel) : null;
    const node = dock();
    const you = youText(round, now);
    const open = !!round && round.status === 'open';
    node.hidden = isPresenter || !record || (!open && !you && !reason);
    const send = node.querySelector('.crowd-send');
    send.hidden = !open;
    const busy = !!tapping || myRequestWaiting(round);
    send.disabled = busy || document.body.dataset.conn !== 'open';
    setText(send, busy ? 'Waiting for your answer…' : 'Send a request');
    setText(node.querySelector('.crowd-reason'), reason || '');
    setText(node.querySelector('.crowd-you'), you);
  }

  const schedule = CL.frameBatcher(function (now) {
    let again = false;
    mounted.forEach(function (record) { if (update(record, now)) again = true; });
    updateDock(now);
    if (again) schedule();
  });

  function visiblePanel(target) {
    const node = target.closest && target.closest('.crowd-panel');
    return node && node.matches(VISIBLE) ? node : null;
  }

  function collect(node) {
    const params = {};
    node.querySelectorAll('.panel-param input, .panel-param select').forEach(function (field) {
      params[field.name] = field.type === 'number' ? field.valueAsNumber : field.value;
    });
    return params;
  }

  function tap() {
    if (tapping) return;
    reason = null;
    if (!CL.socket.send({type: 'crowd_tap'})) return CL.status.toast('not connected: your tap was not sent');
    tapping = {timer: setTimeout(doneTapping, PENDING_MS)};
    schedule();
  }

  function doneTapping() {
    if (tapping) clearTimeout(tapping.timer);
    tapping = null;
    schedule();
  }

  function onClick(event) {
    if (event.target.closest && event.target.closest('.crowd-dock .crowd-send')) return tap();
    const node = visiblePanel(event.target);
    if (!node) return;
    if (!isPresenter) return;
    if (event.target.closest('.crowd-open')) {
      const slide = CL.deck.slideshow() ? CL.deck.slideshow().getCurrentSlideIndex() : undefined;
      CL.socket.send({type: 'crowd_open', panel: node.dataset.panel, params: collect(node), slide: slide});
    } else if (event.target.closest('.crowd-close')) {
      CL.socket.send({type: 'crowd_close'});
    }
  }

  function onInput(event) {
    const node = visiblePanel(event.target);
    if (!node || !event.target.name) return;
    const panelEdits = edits.get(node.dataset.panel) || {};
    panelEdits[event.target.name] = event.target.type === 'number' ? event.target.valueAsNumber : event.target.value;
    edits.set(node.dataset.panel, panelEdits);
  }

  CL.crowd.on(function (change) {
    if (change.kind === 'mine') doneTapping();
    if (change.kind === 'problem') CL.status.toast(change.reason, 'warning');
    if (change.kind === 'round' || change.kind === 'hello') CL.compare.renderVisible();
    schedule();
  });
  CL.store.on(function (change) {
    if (change.kind === 'reject' && /^crowd_tap: /.test(change.reason)) {
      reason = change.reason.slice('crowd_tap: '.length);
      doneTapping();
    }
    if (change.kind === 'demos') CL.crowdpanel.renderVisible();
    schedule();
  });

  CL.crowdpanel = {
    start: function () {
      document.addEventListener('click', onClick);
      document.addEventListener('input', onInput);
      document.addEventListener('change', onInput);
    },
    renderVisible: function () {
      mounted = Array.from(document.querySelectorAll(VISIBLE), build);
      schedule();
    },
  };
})();
