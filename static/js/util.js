/* Shared helpers: the CL namespace, safe element building, JSON fetches, number formats. */
(function () {
  'use strict';
  const CL = window.CL = window.CL || {};

  /* Outside text only ever goes through textContent, never innerHTML (issue 5: escaping). */
  CL.el = function (tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  CL.getJSON = function (url) {
    return fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (response) {
        if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
        return response.json();
      });
  };

  /* A round step for about six ticks over `range` seconds. */
  CL.niceStep = function (range) {
    const raw = range / 6;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = raw / power;
    return power * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
  };

  /* The tick labels of an axis of `tMax` seconds every `step`, placed in units of `unit`
     seconds (--t). Every other one, counted back from the last (which says "s"), is minor:
     a phone's reader view, a third as wide as the projector, hides those labels (deck.css). */
  CL.axisTicks = function (tMax, step, unit) {
    const ticks = document.createDocumentFragment();
    const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
    const count = Math.floor(tMax / step + 1e-9) + 1;
    for (let k = 0; k < count; k += 1) {
      const tick = CL.el('span', 'tl-tick', (k * step).toFixed(digits) + (k === count - 1 ? ' s' : ''));
      tick.style.setProperty('--t', k * step / unit);
      if (count > 5 && (count - 1 - k) % 2 === 1) tick.classList.add('tl-minor');
      ticks.appendChild(tick);
    }
    return ticks;
  };

  /* A name for a narrow label: too long, it loses its start, not its end ("…PoolExecutor-0_1"
     tells two pool threads apart). The cut is CSS (.tl-cut: right to left, with an ellipsis);
     the <bdi> keeps the name itself left to right, brackets and all. */
  CL.cutAtStart = function (text) {
    const cut = CL.el('span', 'tl-cut');
    cut.appendChild(CL.el('bdi', null, text));
    return cut;
  };

  /* Text that changes only when it differs: a frame redraws every panel, and an unchanged
     node is no work for the page's layout. */
  CL.setText = function (node, text) {
    if (node.textContent !== text) node.textContent = text;
  };

  /* A number we can draw or print (not NaN, not Infinity, not a string). */
  CL.isNumber = function (value) { return typeof value === 'number' && isFinite(value); };

  CL.seconds = function (value) {
    if (!CL.isNumber(value)) return '–';
    return (value < 10 ? value.toFixed(2) : value.toFixed(1)) + ' s';
  };

  /* "n=9 · w=3 · d=1s · k=3": short enough for a bar label in the compare chart. */
  const SHORT = [['n', 'n', ''], ['workers', 'w', ''], ['delay', 'd', 's'], ['concurrency', 'k', ''], ['fail', 'fail', '']];
  CL.paramSummary = function (params) {
    const parts = [];
    SHORT.forEach(function (entry) {
      const value = params && params[entry[0]];
      if (value !== undefined && value !== null) parts.push(entry[1] + '=' + value + entry[2]);
    });
    return parts.join(' · ');
  };

  /* One callback per animation frame, however many times it is asked for. */
  CL.frameBatcher = function (callback) {
    let queued = false;
    return function () {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function (now) {
        queued = false;
        callback(now);
      });
    };
  };

  CL.role = document.body.dataset.role === 'presenter' ? 'presenter' : 'audience';
})();
