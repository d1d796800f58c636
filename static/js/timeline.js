/* The timeline of one run: a row per request, a bar from client start to client end whose
   waiting part (sent, not yet taken by a server worker) is hatched and whose served part is solid,
   coloured by server worker. Bars are placed once with CSS custom properties, in units of a power
   of ten seconds, inside a layer one unit wide: growing the axis rewrites that layer's width, and
   a bar's style only when the unit changes (0.1 s -> 1 s -> 10 s). The layer never outgrows the plot. */
(function () {
  'use strict';
  const CL = window.CL;
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#17becf', '#e377c2',
                   '#8c564b', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#843c39'];
  const DENSE_ROWS = 24;      // above this, rows are too thin for labels
  const LEGEND_MAX = 8;
  const GROWTH = 1.3;         // the live axis jumps ahead by 30% when time catches up with it
  const BARS_PER_FRAME = 250; // a burst of 1,000 results is drawn over a few frames, not in one long one
  const CHUNK = 32;           // bars per box: adding one lays out its box's bars and the boxes, not every bar

  function fraction(value) { return Math.min(1, Math.max(0, value)); }

  const isNumber = CL.isNumber;

  function View(root) {
    this.root = root;
    root.replaceChildren();
    root.classList.add('tl');
    this.legend = root.appendChild(CL.el('div', 'tl-legend'));
    const body = root.appendChild(CL.el('div', 'tl-body'));
    this.labels = body.appendChild(CL.el('div', 'tl-labels'));
    this.plot = body.appendChild(CL.el('div', 'tl-plot'));
    this.axis = body.appendChild(CL.el('div', 'tl-axis')).appendChild(CL.el('div', 'tl-seconds'));
    this.inside = CL.lanes.create(root);   // lanes.js: queue, loop lag and CPU lanes, same axis
    this.run = null;
    this.reset(null);
  }

  View.prototype.reset = function (run) {
    this.run = run;
    this.bars = new Map();
    this.placed = 0;
    this.errorsMarked = 0;
    this.colours = new Map();
    this.times = new Map();   // i -> [client_start, client_end], to re-place bars when the unit changes
    this.unit = 1;
    this.tMax = 0;
    this.step = 0;
    this.ended = false;
    this.rows = 0;
    this.legend.replaceChildren(CL.el('span', 'tl-key tl-key-wait', 'waiting'),
                                CL.el('span', 'tl-key tl-key-serve', 'served'));
    this.labels.replaceChildren();
    this.axis.replaceChildren();
    this.plot.replaceChildren();
    this.barLayer = this.plot.appendChild(CL.el('div', 'tl-seconds'));
    this.chunk = null;
    this.idealMark = this.barLayer.appendChild(this.mark('tl-ideal'));
    this.totalMark = this.barLayer.appendChild(this.mark('tl-total'));
    this.nowMark = this.barLayer.appendChild(this.mark('tl-now'));
    const dense = !!run && (run.params.n || 0) > DENSE_ROWS;
    this.root.classList.toggle('tl-dense', dense);
    this.dense = dense;
    if (!run) {
      const hint = CL.offline ? 'Not run during the talk.'
        : CL.role === 'presenter' ? 'No run yet: press Run.' : 'Waiting for the presenter to run this demo.';
      this.plot.appendChild(CL.el('div', 'tl-empty', hint));
    }
    this.setRows(run ? run.params.n || 1 : 1);
    this.setScale(run ? Math.max(1, (run.params.delay || 0) * 1.5) : 1);
  };

  View.prototype.mark = function (className) {
    const node = CL.el('div', 'tl-mark ' + className);
    node.appendChild(CL.el('span', 'tl-mark-label'));
    node.hidden = true;
    node.seconds = 0;
    return node;
  };

  View.prototype.setRows = function (rows) {
    if (rows <= this.rows) return;
    this.rows = rows;
    this.root.style.setProperty('--rows', rows);
  };

  /* The axis: the width of one second, set on two layers; ticks rebuilt only when the step changes. */
  View.prototype.setScale = function (tMax) {
    if (!(tMax > 0) || Math.abs(tMax - this.tMax) < 1e-9) return;
    this.tMax = tMax;
    const unit = Math.pow(10, Math.floor(Math.log10(tMax)));
    if (unit !== this.unit) this.changeUnit(unit);
    this.barLayer.style.width = this.axis.style.width = (100 * unit / tMax) + '%';
    const step = CL.niceStep(tMax);
    const count = Math.floor(tMax / step + 1e-9) + 1;
    if (step === this.step && count === this.axis.childElementCount) return;
    this.step = step;
    this.axis.replaceChildren(CL.axisTicks(tMax, step, this.unit));
  };

  View.prototype.changeUnit = function (unit) {
    this.unit = unit;
    this.step = 0;   // ticks are rebuilt in the new unit
    this.times.forEach(function (times, i) { this.setTimes(this.bars.get(i), times[0], times[1]); }, this);
    [this.idealMark, this.totalMark, this.nowMark].forEach(function (mark) {
      mark.style.setProperty('--t', mark.seconds / unit);
    });
  };

  View.prototype.setTimes = function (bar, start, end) {
    this.times.set(Number(bar.dataset.request), [start, end]);
    bar.style.setProperty('--cs', start / this.unit);
    bar.style.setProperty('--ce', end / this.unit);
  };

  View.prototype.setMark = function (mark, seconds) {
    mark.seconds = seconds;
    mark.style.setProperty('--t', seconds / this.unit);
  };

  View.prototype.colourFor = function (key) {
    if (!this.colours.has(key)) {
      const index = this.colours.size;
      this.colours.set(key, PALETTE[index % PALETTE.length]);
      if (index < LEGEND_MAX) {
        const entry = CL.el('span', 'tl-swatch', key);
        entry.style.setProperty('--col', PALETTE[index % PALETTE.length]);
        this.legend.appendChild(entry);
      } else if (index === LEGEND_MAX) {
        this.legend.appendChild(CL.el('span', 'tl-more', '+ more'));
      }
    }
    return this.colours.get(key);
  };

  View.prototype.barFor = function (i) {
    let bar = this.bars.get(i);
    if (!bar) {
      bar = CL.el('div', 'tl-bar');
      bar.dataset.request = i;
      this.bars.set(i, bar);
      this.chunkFor().appendChild(bar);
      if (!this.dense) {
        const label = CL.el('div', 'tl-label');
        label.appendChild(CL.cutAtStart('#' + i));
        label.style.setProperty('--row', i);
        this.newLabels.appendChild(label);
        bar.label = label;
      }
      this.setRows(i + 1);
    }
    return bar;
  };

  View.prototype.chunkFor = function () {
    if (!this.chunk || this.chunk.childElementCount >= CHUNK) {
      this.chunk = this.barLayer.insertBefore(CL.el('div', 'tl-chunk'), this.idealMark);
    }
    return this.chunk;
  };

  View.prototype.place = function (span) {
    const bar = this.barFor(span.i);
    const start = span.client_start;
    if (!isNumber(start) || !isNumber(span.client_end)) {
      bar.classList.add('tl-nospan');   // no timing to draw: still one row, still there
      return;
    }
    const end = Math.max(span.client_end, start);
    const served = isNumber(span.server_start) && isNumber(span.server_end);
    this.times.set(span.i, [start, end]);
    // One style write per bar, not one per property: a burst of 1,000 results stays cheap.
    bar.style.cssText = '--row:' + span.i + ';--cs:' + start / this.unit + ';--ce:' + end / this.unit +
      ';--col:' + this.colourFor(span.worker || span.actor || '?');
    bar.classList.remove('tl-nospan');
    bar.classList.toggle('tl-solid', !served);
    let detail = 'client ' + CL.seconds(end - start);
    if (served) {
      const duration = Math.max(end - start, 1e-6);
      const serve = bar.firstElementChild || bar.appendChild(CL.el('div', 'tl-serve'));
      serve.style.cssText = '--from:' + fraction((span.server_start - start) / duration) +
        ';--len:' + fraction((span.server_end - span.server_start) / duration);
      detail = 'waited ' + CL.seconds(span.server_start - start) + ', served ' +
        CL.seconds(span.server_end - span.server_start) + ' by ' + span.worker;
    }
    bar.dataset.tip = '#' + span.i + ' ' + (span.actor || '') + ': ' + detail;
    bar.title = bar.dataset.tip + (bar.dataset.error ? '\n' + bar.dataset.error : '');
    if (bar.label && span.actor && bar.label.textContent !== span.actor) {
      bar.label.replaceChildren(CL.cutAtStart(span.actor));
    }
  };

  View.prototype.markError = function (error) {
    if (!isNumber(error.i)) return;   // run-level errors are listed by the panel
    const bar = this.barFor(error.i);
    if (!this.times.has(error.i)) {
      bar.style.setProperty('--row', error.i);
      if (isNumber(error.client_start) && isNumber(error.client_end)) {
        this.setTimes(bar, error.client_start, Math.max(error.client_end, error.client_start));
      } else {
        bar.classList.add('tl-nospan');
      }
    }
    bar.classList.add('tl-failed');
    // 429 Too Many Requests: the server refused to serve it (a rate limit), not a failure of it
    bar.classList.toggle('tl-throttled', error.status === 429);
    bar.dataset.error = error.message;
    bar.title = (bar.dataset.tip ? bar.dataset.tip + '\n' : '#' + error.i + ': ') + error.message;
  };

  /* Draw whatever arrived since the last call: called at most once per animation frame. */
  View.prototype.sync = function (run, now) {
    const more = this.syncBars(run, now);
    return this.inside.sync(run, this.tMax, this.ended, now) || more;
  };

  View.prototype.syncBars = function (run, now) {
    if (run !== this.run) this.reset(run);
    if (!run) return false;
    this.newLabels = document.createDocumentFragment();
    const stop = Math.min(run.order.length, this.placed + BARS_PER_FRAME);
    for (; this.placed < stop; this.placed += 1) this.place(run.spans.get(run.order[this.placed]));
    for (; this.errorsMarked < run.errors.length; this.errorsMarked += 1) this.markError(run.errors[this.errorsMarked]);
    this.labels.appendChild(this.newLabels);
    if (this.placed < run.order.length) return true;   // more next frame
    if (CL.store.isFinal(run.status)) {
      this.finish(run);
      return false;
    }
    return this.tick(now);
  };

  View.prototype.finish = function (run) {
    if (this.ended) return;
    this.ended = true;
    this.nowMark.hidden = true;
    this.setScale(Math.max(run.maxEnd, run.total || 0, run.ideal || 0, 0.05) * 1.06);
    this.showMark(this.idealMark, run.ideal, 'ideal ');
    this.showMark(this.totalMark, run.total, 'total ');
  };

  View.prototype.showMark = function (mark, value, prefix) {
    if (!isNumber(value)) return;
    this.setMark(mark, value);
    mark.classList.toggle('tl-mark-right', value / this.tMax < 0.3);   // keep the label inside the plot
    mark.firstChild.textContent = prefix + CL.seconds(value);
    mark.hidden = false;
  };

  /* While running: a "now" line moves every frame; the axis only moves when time reaches its end. */
  View.prototype.tick = function (now) {
    const run = this.run;
    if (!run || this.ended) return false;
    const elapsed = Math.max(run.maxEnd, (now - run.seenAt) / 1000);
    if (elapsed > this.tMax * 0.97) this.setScale(elapsed * GROWTH);
    this.nowMark.hidden = false;
    this.setMark(this.nowMark, elapsed);
    return true;
  };

  CL.timeline = {
    create: function (root) { return new View(root); },
  };
})();
