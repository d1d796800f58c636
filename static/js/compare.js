/* The compare panel: the total of every run so far, side by side, with its ideal marked. */
(function () {
  'use strict';
  const CL = window.CL;
  const VISIBLE = '.remark-slides-area .remark-visible .compare-panel';

  function runRow(run, scale) {
    const row = CL.el('div', 'cmp-row');
    row.dataset.run = run.id;
    row.dataset.status = run.status;
    row.appendChild(CL.el('span', 'cmp-label', run.label || '#' + run.id + ' ' + run.demo + '  ' + CL.paramSummary(run.params)));
    const track = row.appendChild(CL.el('span', 'cmp-track'));
    const bar = track.appendChild(CL.el('span', 'cmp-bar'));
    const done = typeof run.total === 'number';
    bar.style.setProperty('--v', done ? run.total / scale : 0);
    if (typeof run.ideal === 'number') {
      const ideal = track.appendChild(CL.el('span', 'cmp-ideal'));
      ideal.style.setProperty('--v', run.ideal / scale);
      ideal.title = 'ideal ' + CL.seconds(run.ideal);
    }
    const value = done ? CL.seconds(run.total) : run.status === 'running' ? 'running…' : run.status;
    row.appendChild(CL.el('span', 'cmp-value', value));
    row.title = '#' + run.id + ' ' + run.demo + ': total ' + CL.seconds(run.total) + ', ideal ' + CL.seconds(run.ideal) +
      (run.status !== 'done' ? ' (' + run.status + ')' : '');
    return row;
  }

  // `data-where` (from `![:compare n=9, delay=0.5]()`): the latest run of each demo whose
  // parameters match, so a race shows one bar per client on the same workload.
  function selectRuns(node, runs) {
    if (!node.dataset.where) return runs;
    const where = JSON.parse(node.dataset.where);
    const latest = new Map();
    runs.forEach(function (run) {
      const matches = Object.keys(where).every(function (name) {
        return run.params && run.params[name] === where[name];
      });
      if (matches) latest.set(run.demo, run);  // runs come sorted by id: the last one wins
    });
    return Array.from(latest.values()).sort(function (a, b) { return a.id - b.id; });
  }

  function title(node) {
    if (!node.dataset.where) return 'Every run so far: total (bar) and ideal (line)';
    return 'Latest run of each demo with ' + CL.paramSummary(JSON.parse(node.dataset.where)) +
      ': total (bar) and ideal (line)';
  }

  function render(node, allRuns) {
    const runs = selectRuns(node, allRuns);
    const scale = runs.reduce(function (most, run) {
      return Math.max(most, run.total || 0, run.ideal || 0);
    }, 0.001);
    const chart = CL.el('div', 'cmp-chart');
    chart.style.setProperty('--count', Math.max(runs.length, 1));
    if (!runs.length) chart.appendChild(CL.el('div', 'cmp-empty', 'No runs yet.'));
    runs.forEach(function (run) { chart.appendChild(runRow(run, scale)); });
    const head = CL.el('div', 'cmp-title', title(node));
    if (CL.offline && runs.length) {   // the handout: these are recordings, with their dates
      head.appendChild(CL.el('span', 'panel-recorded', 'recorded ' + CL.replay.stamp(runs[0].started_at) +
        (runs.length > 1 ? ' – ' + CL.replay.stamp(runs[runs.length - 1].started_at) : '')));
    }
    node.replaceChildren(head, chart);
    if (CL.predict) CL.predict.decorate(node, runs);
  }

  /* Every run so far, then every crowd round (crowd.js) as a row of its own. */
  function allRuns() {
    const runs = Array.from(CL.store.runs.values()).filter(function (run) { return run.demo; })
      .sort(function (a, b) { return a.id - b.id; });
    return CL.crowd ? runs.concat(CL.crowd.compareRuns()) : runs;
  }

  const schedule = CL.frameBatcher(function () {
    const nodes = document.querySelectorAll(VISIBLE);
    if (!nodes.length) return;
    const runs = allRuns();
    nodes.forEach(function (node) { render(node, runs); });
  });

  CL.store.on(function (change) {
    // Spans do not move totals; only starts, ends and snapshots do.
    const moved = change.kind === 'run' && (change.started || CL.store.isFinal(change.run.status));
    if (moved || change.kind === 'hello' || change.kind === 'runs') schedule();
  });

  CL.compare = {
    renderVisible: schedule,
    renderAll: function () {
      document.querySelectorAll('.remark-slides-area .compare-panel').forEach(function (node) {
        render(node, allRuns());
      });
    },
  };
  window.addEventListener('beforeprint', CL.compare.renderAll);
})();
