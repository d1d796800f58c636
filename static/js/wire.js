/* The compact wire form read back (docs/ARCHITECTURE.md, "Compact wire format"; live/wire.py
   writes it): a record of a run becomes the readable event the runner wrote. */
(function () {
  'use strict';
  const CL = window.CL;

  /* One compact record of `run` as the readable event, by `layout` ([[type, [field...],
     [kind...]]]). `frame` is what its frame carries along: `fresh` (the frame's `names`: where
     its new strings go in the run's tables; a string travels once, then its index) and `last`
     (each type's previous numbers: numbers travel as the difference from them). */
  function decode(layout, run, record, frame) {
    const shape = layout[record[0]];
    if (!shape) return null;
    const message = {type: shape[0], run: run.id};
    const before = frame.last[shape[0]] || (frame.last[shape[0]] = {});
    shape[1].forEach(function (field, k) {
      let value = k + 1 < record.length ? record[k + 1] : null;
      if (typeof value === 'string') {
        const table = run.tables[field] || (run.tables[field] = []);
        const at = typeof frame.fresh[field] === 'number' ? frame.fresh[field] : table.length;
        table[at] = value;
        frame.fresh[field] = at + 1;
      } else if (value !== null && shape[2][k] === 'string') {
        value = (run.tables[field] || [])[value];
      } else if (typeof value === 'number') {
        value = before[field] = value + (before[field] || 0);
        if (shape[2][k] === 'number') value = value * run.unit / 1e6;
      }
      message[field] = value === undefined ? null : value;
    });
    return message;
  }

  /* What a frame (or a detail) carries along while its records are read. */
  function frameOf(names) {
    return {fresh: Object.assign({}, names || {}), last: {}};
  }

  CL.wire = {decode: decode, frameOf: frameOf};
}());
