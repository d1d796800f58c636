/* Predict panels: .predict-panel[data-options] becomes a button per option with its live tally.
   The presenter opens and closes the vote; each device votes once and may change its vote while
   the vote is open. A compare panel that shows these options later puts the votes beside the
   measured winner (decorate). */
(function () {
  'use strict';
  const CL = window.CL;
  const VISIBLE = '.remark-slides-area .remark-visible .predict-panel';
  const isPresenter = CL.role === 'presenter';
  let mounted = [];

  function options(node) {
    try { return JSON.parse(node.dataset.options || '[]'); } catch (error) { return []; }
  }

  function label(option) {
    const demo = CL.store.demos.get(option);
    return demo ? demo.title : option;
  }

  function sameOptions(a, b) { return a.length === b.length && a.every(function (o, k) { return o === b[k]; }); }

  /* The latest prediction made on this panel with these options. */
  function latestFor(node) {
    const wanted = options(node);
    let found = null;
    CL.crowd.predictions.forEach(function (p) {
      if (p.panel === node.dataset.panel && sameOptions(p.options, wanted) && (!found || p.prediction > found.prediction)) found = p;
    });
    return found;
  }

  function build(node) {
    const head = CL.el('div', 'panel-head');
    head.appendChild(CL.el('span', 'panel-title', 'Your prediction'));
    head.appendChild(CL.el('span', 'predict-status'));
    if (isPresenter) {
      const actions = head.appendChild(CL.el('span', 'panel-actions'));
      actions.appendChild(CL.el('button', 'panel-run predict-open', 'Open vote')).type = 'button';
      actions.appendChild(CL.el('button', 'panel-cancel predict-close', 'Close vote')).type = 'button';
    }
    const list = CL.el('div', 'predict-options');
    options(node).forEach(function (option) {
      const button = list.appendChild(CL.el('button', 'predict-option'));
      button.type = 'button';
      button.dataset.option = option;
      button.appendChild(CL.el('span', 'predict-label', label(option)));
      const count = button.appendChild(CL.el('span', 'predict-count', '0'));
      count.dataset.option = option;
      button.appendChild(CL.el('span', 'predict-bar'));
    });
    node.replaceChildren(head, list);
    return {node: node};
  }

  const setText = CL.setText;

  function update(record) {
    const node = record.node;
    const p = latestFor(node);
    const open = !!p && p.status === 'open';
    const chosen = p ? CL.crowd.votes.get(p.prediction) : undefined;
    node.dataset.prediction = p ? p.prediction : '';
    node.dataset.status = p ? p.status : 'idle';
    const total = p ? p.votes : 0;
    setText(node.querySelector('.predict-status'), !p ? (isPresenter ? 'not open yet' : 'waiting for the presenter')
      : (open ? 'open: ' : 'closed: ') + total + (total === 1 ? ' vote' : ' votes') +
        (open && !isPresenter ? (chosen ? ' · you can still change yours' : ' · tap one') : ''));
    node.querySelectorAll('.predict-option').forEach(function (button) {
      const option = button.dataset.option;
      const count = p ? p.counts[option] || 0 : 0;
      setText(button.querySelector('.predict-count'), String(count));
      button.querySelector('.predict-bar').style.setProperty('--v', total ? count / total : 0);
      button.disabled = !open || isPresenter;
      button.classList.toggle('predict-mine', chosen === option);
      button.setAttribute('aria-pressed', String(chosen === option));
    });
    if (isPresenter) {
      node.querySelector('.predict-open').hidden = open;
      node.querySelector('.predict-close').hidden = !open;
    }
  }

  const schedule = CL.frameBatcher(function () { mounted.forEach(update); });

  function visiblePanel(target) {
    const node = target.closest && target.closest('.predict-panel');
    return node && node.matches(VISIBLE) ? node : null;
  }

  const previous = new Map();   // prediction -> our vote before the one on its way

  function onClick(event) {
    const node = visiblePanel(event.target);
    if (!node) return;
    const p = latestFor(node);
    const option = event.target.closest('.predict-option');
    if (option && p && !isPresenter) {
      if (!CL.socket.send({type: 'vote', prediction: p.prediction, option: option.dataset.option})) {
        return CL.status.toast('not connected: your vote was not sent');
      }
      previous.set(p.prediction, CL.crowd.votes.get(p.prediction));
      CL.crowd.votes.set(p.prediction, option.dataset.option);
      schedule();
    } else if (isPresenter && event.target.closest('.predict-open')) {
      const slide = CL.deck.slideshow() ? CL.deck.slideshow().getCurrentSlideIndex() : undefined;
      CL.socket.send({type: 'predict_open', panel: node.dataset.panel, options: options(node), slide: slide});
    } else if (isPresenter && event.target.closest('.predict-close') && p) {
      CL.socket.send({type: 'predict_close', prediction: p.prediction});
    }
  }

  /* A refused vote (closed meanwhile): show the vote the server kept. */
  CL.store.on(function (change) {
    if (change.kind === 'reject' && /^vote: /.test(change.reason)) {
      previous.forEach(function (option, pid) {
        if (option === undefined) CL.crowd.votes.delete(pid);
        else CL.crowd.votes.set(pid, option);
      });
      previous.clear();
    }
    if (change.kind === 'demos') CL.predict.renderVisible();
    schedule();
  });
  CL.crowd.on(function (change) {
    if (change.kind === 'predict' || change.kind === 'hello') {
      schedule();
      CL.compare.renderVisible();
    }
  });

  /* Compare panels: for the latest prediction with at least two options among the chart's demos,
     each row of an option gets its votes, and the fastest finished option is the winner. */
  function decorate(node, runs) {
    const demos = new Set(runs.map(function (run) { return run.demo; }));
    let p = null;
    CL.crowd.predictions.forEach(function (candidate) {
      const shared = candidate.options.filter(function (o) { return demos.has(o); }).length;
      if (shared >= 2 && (!p || candidate.prediction > p.prediction)) p = candidate;
    });
    if (!p) return;
    let winner = null;
    runs.forEach(function (run) {
      if (p.options.indexOf(run.demo) >= 0 && run.status === 'done' && typeof run.total === 'number' &&
          (!winner || run.total < winner.total)) winner = run;
    });
    node.querySelectorAll('.cmp-row').forEach(function (row) {
      const run = runs.find(function (r) { return String(r.id) === row.dataset.run; });
      if (!run || p.options.indexOf(run.demo) < 0) return;
      const count = p.counts[run.demo] || 0;
      const votes = CL.el('span', 'cmp-votes', count + (count === 1 ? ' vote' : ' votes'));
      votes.dataset.option = run.demo;
      row.appendChild(votes);
      row.classList.add('cmp-voted');
      row.classList.toggle('cmp-winner', run === winner);
    });
    let favourite = null;
    p.options.forEach(function (o) { if (!favourite || (p.counts[o] || 0) > (p.counts[favourite] || 0)) favourite = o; });
    const line = CL.el('div', 'cmp-predict');
    line.dataset.prediction = p.prediction;
    line.textContent = 'The room predicted ' + label(favourite) + ' (' + (p.counts[favourite] || 0) + ' of ' + p.votes +
      ' votes); measured winner: ' + (winner ? label(winner.demo) + ' in ' + CL.seconds(winner.total) : 'not run yet');
    node.appendChild(line);
  }

  CL.predict = {
    start: function () { document.addEventListener('click', onClick); },
    renderVisible: function () {
      mounted = Array.from(document.querySelectorAll(VISIBLE), build);
      schedule();
    },
    decorate: decorate,
  };
})();
