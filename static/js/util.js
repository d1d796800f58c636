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

  CL.seconds = function (value) {
    if (typeof value !== 'number' || !isFinite(value)) return '–';
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
