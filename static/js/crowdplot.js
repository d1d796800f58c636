/* The timeline of a crowd round, drawn like a run's (timeline.js's classes and units): a row per
   request in tap order, hatched while it waits, solid while a worker serves it, coloured by worker.
   A request still waiting grows with the round's clock: its end is the layer's --now, one style
   write per frame for every waiting row at once. Rows are drawn at most BARS_PER_FRAME a frame. */
(function () {
  'use strict';
  const CL = window.CL;
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#17becf', '#e377c2',
                   '#8c564b', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#843c39'];
  const DENSE_ROWS = 24;
  const BARS_PER_FRAME = 100;   // a phone draws a 300-tap burst over a few frames
  const CHUNK = 32;
  const GROWTH = 1.3;
  const CLOCK_HZ = 5;

  const isNumber = CL.isNumber;
  function fraction(value) { return Math.min(1, Math.max(0, value)); }

  function Plot(root) {
    this.root = root;
    root.replaceChildren();
    root.classList.add('tl', 'crowd-tl');
    this.legend = root.appendChild(CL.el('div', 'tl-legend'));
    const body = root.appendChild(CL.el('div', 'tl-body'));
    body.appendChild(CL.el('div', 'tl-labels'));
    this.plot = body.appendChild(CL.el('div', 'tl-plot'));
    this.axis = body.appendChild(CL.el('div', 'tl-axis')).appendChild(CL.el('div', 'tl-seconds'));
    this.round = undefined;
    this.reset(null);
  }

  Plot.prototype.reset = function (round) {
    this.round = round;
    this.clockAt = -Infinity;
    this.bars = new Map();
    this.times = new Map();
    this.queue = round ? Array.from(round.requests.keys()).sort(function (a, b) { return a - b; }) : [];
    if (round) round.dirty.clear();
    this.unit = 1;
    this.tMax = 0;
    this.step = 0;
    this.rows = 0;
    this.legend.replaceChildren(CL.el('span', 'tl-key tl-key-wait', 'waiting'),
                                CL.el('span', 'tl-key tl-key-serve', 'served'));
    this.swatches = new Set();
    this.axis.replaceChildren();
    this.plot.replaceChildren();
    this.layer = this.plot.appendChild(CL.el('div', 'tl-seconds'));
    this.chunk = null;
    if (!round) {
      const hint = CL.role === 'presenter' ? 'No round yet: press Open round.' : 'Waiting for the presenter to open a round.';
      this.plot.appendChild(CL.el('div', 'tl-empty', hint));
    }
    this.setRows(1);
    this.setScale(round ? Math.max(1, (round.params.delay || 0) * 1.5) : 1);
  };

  Plot.prototype.setRows = function (rows) {
    if (rows <= this.rows) return;
    this.rows = rows;
    this.root.style.setProperty('--rows', rows);
    this.root.classList.toggle('tl-dense', rows > DENSE_ROWS);
  };

  Plot.prototype.setScale = function (tMax) {
    if (!(tMax > 0) || Math.abs(tMax - this.tMax) < 1e-9) return;
    this.tMax = tMax;
    const unit = Math.pow(10, Math.floor(Math.log10(tMax)));
    if (unit !== this.unit) {
      this.unit = unit;
      this.step = 0;
      this.times.forEach(function (times, i) { this.setTimes(this.bars.get(i), times); }, this);
    }
    this.layer.style.width = this.axis.style.width = (100 * unit / tMax) + '%';
    const step = CL.niceStep(tMax);
    if (step === this.step) return;
    this.step = step;
    this.axis.replaceChildren(CL.axisTicks(tMax, step, unit));
  };

  Plot.prototype.setTimes = function (bar, times) {
    bar.style.setProperty('--cs', times[0] / this.unit);
    if (times[1] !== null) bar.style.setProperty('--ce', times[1] / this.unit);
  };

  Plot.prototype.colour = function (number) {
    const colour = PALETTE[(number - 1) % PALETTE.length];
    if (!this.swatches.has(number) && this.swatches.size < 8) {
      this.swatches.add(number);
      const swatch = this.legend.appendChild(CL.el('span', 'tl-swatch', 'worker ' + number));
      swatch.style.setProperty('--col', colour);
    }
    return colour;
  };

  Plot.prototype.barFor = function (i) {
    let bar = this.bars.get(i);
    if (!bar) {
      bar = CL.el('div', 'tl-bar');
      bar.dataset.request = i;
      if (!this.chunk || this.chunk.childElementCount >= CHUNK) this.chunk = this.layer.appendChild(CL.el('div', 'tl-chunk'));
      this.chunk.appendChild(bar);
      this.bars.set(i, bar);
      this.setRows(i + 1);
    }
    return bar;
  };

  Plot.prototype.place = function (round, i) {
    const request = round.requests.get(i);
    if (!request) return;   // marked mine before its row came: placed when it does
    const bar = this.barFor(i);
    const mine = CL.crowd.isMine(round, i);
    bar.classList.toggle('tl-mine', mine);
    if (request.type === 'crowd_req') {
      const start = isNumber(request.t) ? request.t : 0;
      this.times.set(i, [start, null]);
      bar.style.cssText = '--row:' + i + ';--cs:' + start / this.unit + ';--ce:var(--now);--col:#8c959f';
      bar.classList.add('tl-pending');
      bar.title = '#' + i + ': waiting' + (mine ? ' (yours)' : '');
      return;
    }
    bar.classList.remove('tl-pending');
    const start = isNumber(request.client_start) ? request.client_start : request.t || 0;
    const end = isNumber(request.client_end) ? Math.max(request.client_end, start) : start;
    this.times.set(i, [start, end]);
    const colour = request.type === 'crowd_error' ? '#cf222e' : this.colour(request.worker_no || 1);
    bar.style.cssText = '--row:' + i + ';--cs:' + start / this.unit + ';--ce:' + end / this.unit + ';--col:' + colour;
    bar.classList.toggle('tl-failed', request.type === 'crowd_error');
    if (request.type === 'crowd_error') {
      bar.title = '#' + i + ': ' + request.error;
      return;
    }
    const served = isNumber(request.server_start) && isNumber(request.server_end);
    if (served) {
      const duration = Math.max(end - start, 1e-6);
      const serve = bar.firstElementChild || bar.appendChild(CL.el('div', 'tl-serve'));
      serve.style.cssText = '--from:' + fraction((request.server_start - start) / duration) +
        ';--len:' + fraction((request.server_end - request.server_start) / duration);
    }
    bar.title = '#' + i + ': waited ' + CL.seconds(served ? request.server_start - start : null) +
      ', served by worker ' + (request.worker_no || '?') + (mine ? ' (yours)' : '');
  };

  /* Draw what changed since the last frame; true while there is more to draw or a clock to move. */
  Plot.prototype.sync = function (round, now) {
    if (round !== this.round) this.reset(round);
    if (!round) return false;
    round.dirty.forEach(function (i) { this.queue.push(i); }, this);
    round.dirty.clear();
    const batch = this.queue.splice(0, BARS_PER_FRAME);
    batch.forEach(function (i) { this.place(round, i); }, this);
    // Every waiting bar ends at --now: moving it restyles them all, so the clock moves at most
    // CLOCK_HZ times a second (a phone keeps its frames for the rows), rows at once.
    if (batch.length || !(now - this.clockAt < 1000 / CLOCK_HZ)) {
      this.clockAt = now;
      const elapsed = clock(round, now);
      let last = 0;
      this.times.forEach(function (times) { last = Math.max(last, times[1] === null ? elapsed : times[1]); });
      const end = Math.max(last, CL.crowd.isFinal(round.status) ? 0 : elapsed);
      if (end > this.tMax * 0.97) this.setScale(end * GROWTH);
      this.layer.style.setProperty('--now', elapsed / this.unit);
    }
    return this.queue.length > 0 || !CL.crowd.isFinal(round.status);
  };

  /* The round's clock in seconds, from the server's `elapsed` and our own time since. */
  function clock(round, now) {
    if (round.clockBase === null) return round.elapsed || 0;
    if (CL.crowd.isFinal(round.status)) return round.elapsed || 0;
    return Math.max(0, now / 1000 - round.clockBase);
  }

  CL.crowdplot = {create: function (root) { return new Plot(root); }, clock: clock};
})();
