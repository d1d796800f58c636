/* What a timeline of requests does not show, under it on the same time axis:
   - where the queue is: requests in flight at the client (sent, not back) and at the server
     (being served), from the spans: the pale part waits, the dark part is served;
   - the event loop's lag (asyncio runs): a red band over each stretch the loop could not run its
     timer, and the requests in flight as a line;
   - who is on the CPU: a thin lane per thread or child process, filled to its share of a core
     (full height: a whole core; two threads under one GIL take half each).
   Each strip is a canvas, redrawn only when the run has new data or the axis moved (at most every
   REDRAW_MS while the run goes on), so a burst of samples costs one drawing per interval. */
(function () {
  'use strict';
  const CL = window.CL;
  const MAX_LANES = 6;      // more actors than this: the busiest keep a lane, the rest are counted
  const LANE_H = 12;
  const STRIP_H = 18;
  const GAP = 2;
  const MORE_H = 14;
  const REDRAW_MS = 120;
  const MIN_LAG_SCALE = 0.05;   // seconds at full height, at least: a healthy loop stays flat
  const COLOURS = {cpu: '26, 127, 55', lane: '#eef1f4', wait: '#c8ced6', serve: '#57606a',
                   lag: '#cf222e', base: '#8c959f'};

  const isNumber = CL.isNumber;

  function Inside(root) {
    this.root = root;
    this.box = root.appendChild(CL.el('div', 'tl-inside'));
    this.widths = new Map();   // canvas -> CSS width, from the ResizeObserver (no forced layout)
    this.observer = typeof ResizeObserver === 'function' ? new ResizeObserver(this.resized.bind(this)) : null;
    this.reset(null);
  }

  Inside.prototype.resized = function (entries) {
    entries.forEach(function (entry) { this.widths.set(entry.target, entry.contentRect.width); }, this);
    this.drawn = '';
    if (CL.panel) CL.panel.refresh();
  };

  Inside.prototype.reset = function (run) {
    this.run = run;
    this.rows = new Map();
    this.more = null;
    this.drawn = '';
    this.drawnAt = -Infinity;
    if (this.observer) this.observer.disconnect();
    this.box.replaceChildren();
    this.root.classList.remove('tl-has-inside');
    this.root.style.removeProperty('--inside-h');
  };

  /* Draw what changed; true while a drawing is still due (the caller asks for another frame). */
  Inside.prototype.sync = function (run, tMax, final, now) {
    if (run !== this.run) this.reset(run);
    if (!run || !(tMax > 0)) return false;
    const key = [run.order.length, run.errors.length, (run.cpu || []).length, (run.loop || []).length,
                 tMax, final].join();
    if (key === this.drawn) return false;
    if (!final && now - this.drawnAt < REDRAW_MS) return true;
    this.drawn = key;
    this.drawnAt = now;
    this.draw(run, tMax);
    return false;
  };

  Inside.prototype.row = function (id, className, label, height) {
    let row = this.rows.get(id);
    if (!row) {
      row = CL.el('div', 'tl-row ' + className);
      row.appendChild(CL.el('span', 'tl-row-label')).appendChild(CL.cutAtStart(label));
      row.canvas = row.appendChild(CL.el('canvas', 'tl-row-canvas'));
      row.canvas.setAttribute('role', 'img');
      row.style.setProperty('--row-h', height + 'px');
      row.height = height;
      this.rows.set(id, row);
      this.box.appendChild(row);
      if (this.observer) this.observer.observe(row.canvas);
    }
    return row;
  };

  /* A canvas sized to its CSS box at the screen's pixel density; returns its context and width. */
  Inside.prototype.surface = function (row) {
    const canvas = row.canvas;
    let width = this.widths.get(canvas);
    if (width === undefined) {
      width = canvas.clientWidth;
      this.widths.set(canvas, width);
    }
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(width * ratio));
    const h = Math.max(1, Math.round(row.height * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, row.height);
    return {ctx: ctx, width: width, height: row.height};
  };

  Inside.prototype.draw = function (run, tMax) {
    const spans = run.order.map(function (i) { return run.spans.get(i); });
    if (spans.some(function (s) { return isNumber(s.client_start) && isNumber(s.client_end); })) {
      this.drawQueue(this.row('queue', 'tl-strip tl-strip-queue', 'in flight', STRIP_H), spans, tMax);
    }
    const cpu = run.cpu || [];   // a run record made elsewhere may carry no samples
    const loop = run.loop || [];
    if (loop.length) {
      const end = isNumber(run.total) ? run.total : tMax;   // live: the loop runs on
      this.drawLoop(this.row('loop', 'tl-strip tl-strip-loop', 'loop lag', STRIP_H), loop, tMax, end);
    }
    if (cpu.length) this.drawLanes(cpu, tMax);
    this.keys(loop.length, cpu.length);
    let height = this.more ? MORE_H : 0;
    this.rows.forEach(function (row) { height += row.height + GAP; });
    this.root.classList.toggle('tl-has-inside', height > 0);
    this.root.style.setProperty('--inside-h', height + 'px');
  };

  /* Keys in the timeline's legend, after waiting/served (the worker swatches may fill the rest). */
  Inside.prototype.keys = function (lag, cpu) {
    const legend = this.root.querySelector('.tl-legend');
    const served = legend && legend.querySelector('.tl-key-serve');
    if (!served) return;
    [['tl-key-lag', 'loop lag', lag], ['tl-key-cpu', 'on the CPU', cpu]]
      .forEach(function (key) {
        if (key[2] && !legend.querySelector('.' + key[0])) served.after(CL.el('span', 'tl-key ' + key[0], key[1]));
      });
  };

  /* The strip's meaning, for a pointer (title) and a screen reader (the canvas is an image). */
  function describe(row, text) {
    row.title = text;
    row.canvas.setAttribute('aria-label', text);
  }

  /* Steps of how many [from, to) intervals are open, as [time, count] from the edges. */
  function steps(items, from, to) {
    const edges = [];
    items.forEach(function (item) {
      if (isNumber(item[from]) && isNumber(item[to])) edges.push([item[from], 1], [Math.max(item[to], item[from]), -1]);
    });
    edges.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    let level = 0;
    return edges.map(function (edge) { level += edge[1]; return [edge[0], level]; });
  }

  /* The level of `series` at each time of `times` (both sorted). */
  function levels(series, times) {
    let k = -1;
    return times.map(function (t) {
      while (k + 1 < series.length && series[k + 1][0] <= t) k += 1;
      return k < 0 ? 0 : series[k][1];
    });
  }

  Inside.prototype.drawQueue = function (row, spans, tMax) {
    const client = steps(spans, 'client_start', 'client_end');
    const server = steps(spans, 'server_start', 'server_end');
    const times = client.map(function (s) { return s[0]; }).concat(server.map(function (s) { return s[0]; }))
      .sort(function (a, b) { return a - b; });
    const atClient = levels(client, times);
    const atServer = levels(server, times);
    const peak = Math.max(1, Math.max.apply(null, atClient.concat(atServer)));
    const s = this.surface(row);
    const x = function (t) { return t / tMax * s.width; };
    for (let k = 0; k + 1 < times.length; k += 1) {
      const left = x(times[k]);
      const width = Math.max(x(times[k + 1]) - left, 0.5);
      const served = Math.min(atServer[k], atClient[k] || atServer[k]);
      const all = Math.max(atClient[k], served);
      if (!all) continue;
      s.ctx.fillStyle = COLOURS.wait;
      s.ctx.fillRect(left, s.height * (1 - all / peak), width, s.height * all / peak);
      s.ctx.fillStyle = COLOURS.serve;
      s.ctx.fillRect(left, s.height * (1 - served / peak), width, s.height * served / peak);
    }
    row.dataset.peak = peak;
    describe(row, 'requests in flight: at most ' + peak + ' (dark: being served, pale: sent, waiting)');
    row.firstChild.textContent = 'in flight ≤ ' + peak;
  };

  /* The loop's lag: a base line from the loop's start to `end` (it was watched), and each
     sample a red band over [t - lag, t], the stretch its timer could not run (a sample comes
     when the loop starts, when a timer fired late, and while a stall lasts). */
  Inside.prototype.drawLoop = function (row, samples, tMax, end) {
    const sorted = samples.slice().sort(function (a, b) { return a.t - b.t; });
    const worst = sorted.reduce(function (top, sample) { return sample.lag > top.lag ? sample : top; });
    const scale = Math.max(worst.lag, MIN_LAG_SCALE);
    const s = this.surface(row);
    const x = function (t) { return t / tMax * s.width; };
    const from = x(sorted[0].t - sorted[0].lag);
    s.ctx.fillStyle = COLOURS.base;
    s.ctx.fillRect(from, s.height - 2, Math.max(x(Math.max(end, sorted[sorted.length - 1].t)) - from, 1), 2);
    s.ctx.fillStyle = COLOURS.lag;
    sorted.forEach(function (sample) {
      if (!(sample.lag > 0)) return;
      const left = x(sample.t - sample.lag);
      const h = s.height * Math.min(1, sample.lag / scale);
      s.ctx.fillRect(left, s.height - h, Math.max(x(sample.t) - left, 1), h);
    });
    row.dataset.samples = sorted.length;
    row.dataset.worst = worst.lag;
    row.firstChild.textContent = 'loop lag ≤ ' + CL.seconds(worst.lag);
    describe(row, worst.lag > 0
      ? 'event loop: red, how late its timer fired; at most ' + CL.seconds(worst.lag) + ', with ' +
        worst.in_flight + ' request' + (worst.in_flight === 1 ? '' : 's') + ' in flight'
      : 'event loop: its timer was never late');
  };

  /* The actors with the most CPU keep a lane, in the order they first ran. */
  function busiest(samples) {
    const used = new Map();
    samples.forEach(function (sample) {
      used.set(sample.actor, (used.get(sample.actor) || 0) + sample.busy * sample.dt);
    });
    const kept = new Set(Array.from(used.keys()).sort(function (a, b) { return used.get(b) - used.get(a); })
      .slice(0, MAX_LANES));
    return {used: used, kept: Array.from(used.keys()).filter(function (actor) { return kept.has(actor); })};
  }

  Inside.prototype.drawLanes = function (samples, tMax) {
    const chosen = busiest(samples);
    chosen.kept.forEach(function (actor) {
      const row = this.row('cpu|' + actor, 'tl-lane', actor, LANE_H);
      row.dataset.actor = actor;
      const s = this.surface(row);
      const x = function (t) { return t / tMax * s.width; };
      s.ctx.fillStyle = COLOURS.lane;
      s.ctx.fillRect(0, 0, s.width, s.height);
      let count = 0;
      samples.forEach(function (sample) {
        if (sample.actor !== actor) return;
        count += 1;
        const busy = Math.min(1, Math.max(0, sample.busy));
        const left = x(sample.t - sample.dt);
        s.ctx.fillStyle = 'rgba(' + COLOURS.cpu + ',' + (0.45 + 0.55 * busy) + ')';
        s.ctx.fillRect(left, s.height * (1 - busy), Math.max(x(sample.t) - left, 1), s.height * busy);
      });
      row.dataset.samples = count;
      describe(row, actor + ': ' + CL.seconds(chosen.used.get(actor)) + ' of CPU (green, to full height: a whole core)');
    }, this);
    const others = chosen.used.size - chosen.kept.length;
    if (others > 0 && !this.more) this.more = this.box.appendChild(CL.el('div', 'tl-lanes-more'));
    if (this.more) this.more.textContent = '+ ' + others + ' more on the CPU';
  };

  CL.lanes = {
    create: function (root) { return new Inside(root); },
  };
})();
