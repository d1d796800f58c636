/* Demo panels: every .demo-panel[data-demo] on the visible slide gets a title, its parameters
   (panelform.js), Run/Cancel (presenter only), a status line, total and ideal, errors and a
   timeline.
   remark copies slides for the presenter preview, so panels are rebuilt on each slide show,
   queries are scoped to .remark-visible and every listener is delegated from document. */
(function () {
  'use strict';
  const CL = window.CL;
  const PENDING_MS = 10000;   // give up waiting for run_start or reject after this
  const SHOWN_ERRORS = 3;
  const VISIBLE = '.remark-slides-area .remark-visible .demo-panel[data-demo]';
  const STATUS_TEXT = {failed: 'failed', timeout: 'timed out', cancelled: 'cancelled'};

  const isPresenter = CL.role === 'presenter' && !CL.offline;
  const canReplay = isPresenter || !!CL.offline;   // the live fallback, or the handout's Replay
  let mounted = [];
  let pending = null;         // {panel, timer} between pressing Run and run_start / reject

  function build(node) {
    const head = CL.el('div', 'panel-head');
    head.appendChild(CL.el('span', 'panel-title'));
    const params = head.appendChild(CL.el('span', 'panel-params'));
    CL.panelForm.fields(node, isPresenter).forEach(function (field) { params.appendChild(field); });
    head.appendChild(CL.el('span', 'panel-recorded')).hidden = true;
    const actions = canReplay ? head.appendChild(CL.el('span', 'panel-actions')) : null;
    if (isPresenter) {
      actions.appendChild(CL.el('button', 'panel-run', 'Run')).type = 'button';
      const cancel = actions.appendChild(CL.el('button', 'panel-cancel', 'Cancel'));
      cancel.type = 'button';
      cancel.hidden = true;
    }
    if (canReplay) {
      const replay = actions.appendChild(CL.el('button', 'panel-replay', CL.offline ? 'Replay' : 'Replay recorded'));
      replay.type = 'button';
      replay.title = CL.offline ? 'Replay this run at the recorded pace'
        : 'When a live run cannot happen: replay a recorded run here, labelled as recorded on every screen';
    }
    const timeline = CL.el('div', 'panel-timeline');
    const foot = CL.el('div', 'panel-foot');
    foot.appendChild(CL.el('span', 'panel-status'));
    foot.appendChild(CL.el('span', 'panel-total')).hidden = true;
    foot.appendChild(CL.el('span', 'panel-ideal')).hidden = true;
    const trace = foot.appendChild(CL.el('a', 'panel-trace', 'trace ⤓'));
    trace.title = "This run in Chrome's Trace Event Format: open it in the Perfetto UI or chrome://tracing";
    trace.hidden = true;
    node.replaceChildren(head, timeline, foot, CL.el('ul', 'panel-errors'));
    return {node: node, view: CL.timeline.create(timeline), errorsShown: -1};
  }

  function statusText(run) {
    const count = run.order.length + ' of ' + (run.params.n || '?');
    if (run.status === 'running') return 'running… ' + count + ' done';
    if (run.status === 'done') return 'done: ' + run.order.length + ' in ' + CL.seconds(run.total);
    return STATUS_TEXT[run.status] || run.status;
  }

  const setText = CL.setText;

  function showNumber(node, prefix, value) {
    node.hidden = typeof value !== 'number';
    if (!node.hidden) setText(node, prefix + CL.seconds(value));
  }

  function showErrors(record, run) {
    const all = run ? run.errors : [];
    if (record.errorsShown === all.length) return;
    record.errorsShown = all.length;
    // Run-level lines first ("the demo raised ..."): they sum the run up, and a long list of
    // request errors (a TaskGroup's cancellations) must not push them out of sight.
    const errors = all.filter(function (e) { return typeof e.i !== 'number'; })
      .concat(all.filter(function (e) { return typeof e.i === 'number'; }));
    const items = errors.slice(0, SHOWN_ERRORS).map(function (error) {
      const where = typeof error.i === 'number' ? '#' + error.i + ': ' : 'run: ';
      return CL.el('li', 'panel-error', where + error.message);
    });
    if (errors.length > SHOWN_ERRORS) items.push(CL.el('li', 'panel-error-more', '+ ' + (errors.length - SHOWN_ERRORS) + ' more'));
    record.node.querySelector('.panel-errors').replaceChildren(...items);
  }

  /* A finished run's trace to take home (GET /api/runs/<id>/trace.json, docs/TRACING.md). */
  function showTrace(link, run) {
    link.hidden = !run || !CL.store.isFinal(run.status);
    if (link.hidden || link.dataset.run === String(run.id)) return;
    link.dataset.run = run.id;
    link.href = '/api/runs/' + encodeURIComponent(run.id) + '/trace.json';
    link.download = 'run-' + run.id + '-' + run.demo + '.trace.json';
  }

  function showButtons(record, run) {
    const replay = record.node.querySelector('.panel-replay');
    if (replay) replay.hidden = !!CL.offline && !run;
    if (!isPresenter) return;
    replay.disabled = CL.store.active !== null;
    // Cancel takes Run's place while this panel's run goes on, so the header never reflows.
    const cancellable = !!run && run.status === 'running' && CL.store.active === run.id;
    const runButton = record.node.querySelector('.panel-run');
    runButton.disabled = !!pending || CL.store.active !== null || document.body.dataset.conn !== 'open';
    runButton.hidden = cancellable;
    record.node.querySelector('.panel-cancel').hidden = !cancellable;
  }

  function update(record, now) {
    const node = record.node;
    const latest = CL.store.latestFor(node.dataset.panel, node.dataset.demo);
    const run = CL.replay.runFor(node.dataset.panel, latest) || latest;
    if (run && !run.detailed) CL.store.loadRun(run.id);
    const label = CL.replay.label(run);
    const recorded = node.querySelector('.panel-recorded');
    recorded.hidden = !label;
    setText(recorded, label);
    node.dataset.recorded = run && run.replay ? 'replay' : label ? 'recorded' : '';
    const demo = CL.store.demos.get(node.dataset.demo);
    setText(node.querySelector('.panel-title'), demo ? demo.title : node.dataset.demo);
    const waiting = !!pending && pending.panel === node.dataset.panel && !(run && run.status === 'running');
    node.dataset.run = run ? run.id : '';
    node.dataset.status = waiting ? 'pending' : run ? run.status : 'idle';
    // A demo this machine cannot run (no free-threaded Python, say) says so before anyone presses Run.
    const missing = demo && demo.missing;
    node.dataset.missing = missing ? 'true' : 'false';
    setText(node.querySelector('.panel-status'), waiting ? 'starting…' : run ? statusText(run) : missing || 'not run yet');
    showNumber(node.querySelector('.panel-total'), 'total ', run && run.total);
    showNumber(node.querySelector('.panel-ideal'), 'ideal ', run && run.ideal);
    showErrors(record, run);
    showTrace(node.querySelector('.panel-trace'), run);
    showButtons(record, run);
    if (run) CL.panelForm.showRun(record, run, isPresenter);
    return record.view.sync(run, now);
  }

  const schedule = CL.frameBatcher(function (now) {
    let animating = false;
    mounted.forEach(function (record) {
      if (update(record, now)) animating = true;
    });
    CL.replay.showNote(mounted.map(function (record) { return record.node; }));
    if (animating) schedule();
  });

  function mountAll(nodes) {
    mounted = Array.from(nodes, build);
    schedule();
  }

  function visiblePanel(target) {
    const node = target.closest && target.closest('.demo-panel[data-demo]');
    return node && node.matches(VISIBLE) ? node : null;
  }

  function startRun(node) {
    if (pending || CL.store.active !== null) return;   // one run at a time; the server refuses too
    const collected = CL.panelForm.collect(node);
    if (collected.problem) return CL.status.toast(collected.problem);
    const message = {type: 'run', demo: node.dataset.demo, panel: node.dataset.panel, params: collected.params};
    if (!CL.socket.send(message)) return CL.status.toast('not connected: the run was not sent');
    pending = {panel: node.dataset.panel, timer: setTimeout(clearPending, PENDING_MS)};
    schedule();
  }

  function clearPending() {
    if (!pending) return;
    clearTimeout(pending.timer);
    pending = null;
    schedule();
  }

  function onClick(event) {
    const node = visiblePanel(event.target);
    if (!node) return;
    if (canReplay && event.target.closest('.panel-replay')) {
      const latest = CL.store.latestFor(node.dataset.panel, node.dataset.demo);
      return CL.replay.request(node, CL.replay.runFor(node.dataset.panel, latest) || latest,
                               isPresenter ? CL.panelForm.collect(node).params : null);
    }
    if (!isPresenter) return;
    if (event.target.closest('.panel-run')) startRun(node);
    else if (event.target.closest('.panel-cancel')) CL.socket.send({type: 'cancel'});
  }

  function onInput(event) {
    const node = visiblePanel(event.target);
    if (node && event.target.name) CL.panelForm.noteEdit(node, event.target);
  }

  function onKeydown(event) {
    const node = visiblePanel(event.target);
    if (node && event.key === 'Enter' && event.target.matches('input')) startRun(node);
  }

  CL.store.on(function (change) {
    if (change.kind === 'demos') return CL.panel.renderVisible();
    if (change.kind === 'run' && change.started) clearPending();
    if (change.kind === 'reject') clearPending();
    schedule();
  });

  CL.panel = {
    start: function () {
      document.addEventListener('click', onClick);
      document.addEventListener('input', onInput);
      document.addEventListener('change', onInput);   // a select fires change
      document.addEventListener('keydown', onKeydown);
      window.addEventListener('beforeprint', CL.panel.renderAll);
      window.addEventListener('afterprint', CL.panel.renderVisible);
    },
    renderVisible: function () { mountAll(document.querySelectorAll(VISIBLE)); },
    renderAll: function () { mountAll(document.querySelectorAll('.remark-slides-area .demo-panel[data-demo]')); },
    refresh: schedule,
    /* Every mounted panel drawn to the end of its run (the PDF waits for this). */
    settled: function () {
      return mounted.every(function (record) {
        const run = record.view.run;
        return !run || (record.view.ended && record.view.placed === run.order.length);
      });
    },
    shownRunIds: function () {
      return mounted.map(function (record) { return Number(record.node.dataset.run); }).filter(Boolean);
    },
  };
})();
