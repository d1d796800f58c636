/* A demo panel's parameters: inputs for the presenter, plain values for the audience, each with
   its spec from the one table (GET /api/demos); what the presenter typed is kept per panel, so
   a slide shown again (remark rebuilds it) keeps it. panel.js builds the rest of the panel. */
(function () {
  'use strict';
  const CL = window.CL;
  const edits = new Map();    // panel id -> {param: value} typed by the presenter

  /* What the slide sets: the panel's data-params. */
  function slideParams(node) {
    try {
      const params = JSON.parse(node.dataset.params || '{}');
      return params && typeof params === 'object' ? params : {};
    } catch (error) {
      return {};
    }
  }

  /* The parameters a panel shows: every one its demo reads, and any other the slide sets
     (say timeout=3), each with the value typed, else the slide's, else the default. */
  function shownParams(node) {
    const demo = CL.store.demos.get(node.dataset.demo);
    if (!demo || !demo.params) return [];
    const given = slideParams(node);
    const set = (node.dataset.set || '').split(' ');
    const edited = edits.get(node.dataset.panel) || {};
    return demo.params.filter(function (spec) { return spec.used || set.indexOf(spec.name) >= 0; })
      .map(function (spec) {
        const value = spec.name in edited ? edited[spec.name] : spec.name in given ? given[spec.name] : spec.default;
        return {spec: spec, value: value};
      });
  }

  function paramInput(spec, value) {
    if (spec.kind === 'choice') {
      const select = CL.el('select');
      spec.choices.forEach(function (choice) { select.appendChild(CL.el('option', null, choice)).value = choice; });
      select.name = spec.name;
      select.value = value;
      return select;
    }
    const input = CL.el('input');
    input.type = 'number';
    input.name = spec.name;
    input.dataset.kind = spec.kind;
    input.min = spec.min;
    input.max = spec.max;
    input.step = spec.step;
    input.value = value === undefined ? '' : value;
    return input;
  }

  function paramField(entry, editable) {
    const field = CL.el('label', 'panel-param');
    field.dataset.param = entry.spec.name;
    field.title = entry.spec.meaning;
    field.appendChild(CL.el('span', 'panel-param-name', entry.spec.name));
    if (editable) {
      field.appendChild(paramInput(entry.spec, entry.value));
    } else {
      field.appendChild(CL.el('span', 'panel-param-value', entry.value === undefined ? '–' : String(entry.value)));
    }
    return field;
  }

  /* Until the presenter types, the inputs show what this panel last ran, so Run repeats it. */
  function showRunInputs(record, run) {
    const node = record.node;
    if (record.inputsFrom === run.id || run.panel !== node.dataset.panel || edits.has(node.dataset.panel)) return;
    record.inputsFrom = run.id;
    node.querySelectorAll('.panel-param input, .panel-param select').forEach(function (input) {
      if (run.params[input.name] !== undefined) input.value = run.params[input.name];
    });
  }

  /* The audience sees the parameters of the run on show, not the deck's defaults. */
  function showRunValues(node, run) {
    node.querySelectorAll('.panel-param').forEach(function (field) {
      const value = run.params[field.dataset.param];
      if (value !== undefined) CL.setText(field.querySelector('.panel-param-value'), String(value));
    });
  }

  CL.panelForm = {
    /* The panel's parameter fields, as elements: inputs when `editable`. */
    fields: function (node, editable) {
      return shownParams(node).map(function (entry) { return paramField(entry, editable); });
    },
    /* The parameters to run with: {params} or {problem: a one-line reason}. */
    collect: function (node) {
      const params = Object.assign({}, slideParams(node));
      let problem = null;
      node.querySelectorAll('.panel-param input').forEach(function (input) {
        const value = input.valueAsNumber;
        if (isNaN(value)) problem = problem || input.name + ' must be a number';
        params[input.name] = value;
      });
      node.querySelectorAll('.panel-param select').forEach(function (select) {
        params[select.name] = select.value;
      });
      return problem ? {problem: problem} : {params: params};
    },
    /* The presenter typed into `target`, an input or select of the panel `node`. */
    noteEdit: function (node, target) {
      const panelEdits = edits.get(node.dataset.panel) || {};
      panelEdits[target.name] = target.tagName === 'SELECT' ? target.value
        : target.value === '' ? undefined : target.valueAsNumber;
      edits.set(node.dataset.panel, panelEdits);
    },
    /* The fields of a mounted panel (`record`) brought up to the run on show. */
    showRun: function (record, run, editable) {
      if (editable) showRunInputs(record, run);
      else showRunValues(record.node, run);
    },
  };
})();
