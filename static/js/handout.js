/* The handout in the status bar. The presenter: "Export handout" (POST /api/handout/export writes
   instance/handout/ and lists its files) and "audience may download" (off by default; part of the
   app state, broadcast as {type: 'handout', download}). The audience: a "Download the handout"
   link while the presenter allows it (the route refuses otherwise). Not in the handout itself. */
(function () {
  'use strict';
  const CL = window.CL;
  if (CL.offline) return;
  const isPresenter = CL.role === 'presenter';
  let allowed = false;
  let exporting = false;

  function find(selector) { return document.querySelector(selector); }

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.error || 'HTTP ' + response.status);
        return answer;
      });
    });
  }

  function build(bar) {
    const box = CL.el('span', 'cl-handout');
    if (isPresenter) {
      box.appendChild(CL.el('button', 'cl-export', 'Export handout')).type = 'button';
      const label = box.appendChild(CL.el('label', 'cl-allow-label'));
      const box2 = label.appendChild(CL.el('input', 'cl-allow'));
      box2.type = 'checkbox';
      label.appendChild(document.createTextNode(' audience may download'));
      box.appendChild(CL.el('span', 'cl-export-files'));
    } else {
      const link = box.appendChild(CL.el('a', 'cl-download', 'Download the handout'));
      link.href = '/handout/download';
      link.setAttribute('download', '');
    }
    bar.appendChild(box);
  }

  function render() {
    const box = find('.cl-handout');
    if (!box) return;
    if (isPresenter) {
      find('.cl-allow').checked = allowed;
      find('.cl-export').disabled = exporting;
      find('.cl-export').textContent = exporting ? 'exporting…' : 'Export handout';
    } else {
      box.hidden = !allowed;
    }
  }

  function showFiles(files) {
    const list = find('.cl-export-files');
    list.replaceChildren();
    files.forEach(function (name) {
      const link = list.appendChild(CL.el('a', 'cl-export-file', name));
      link.href = '/handout/files/' + name.split('/').map(encodeURIComponent).join('/');
      link.target = '_blank';
      list.appendChild(document.createTextNode(' '));
    });
  }

  function onClick(event) {
    if (!event.target.closest('.cl-export') || exporting) return;
    exporting = true;
    render();
    post('/api/handout/export').then(function (answer) {
      showFiles(answer.files);
      CL.status.toast('handout written: ' + answer.files.join(', '), 'warning');
    }).catch(function (error) {
      CL.status.toast('export failed: ' + error.message);
    }).finally(function () {
      exporting = false;
      render();
    });
  }

  function onChange(event) {
    const box = event.target.closest('.cl-allow');
    if (!box) return;
    post('/api/handout/download', {allowed: box.checked}).catch(function (error) {
      CL.status.toast('download setting: ' + error.message);
      render();
    });
  }

  function setAllowed(value) {
    allowed = value === true;
    render();
  }

  CL.store.handle('handout', function (message) { setAllowed(message.download); });
  CL.store.on(function (change) {
    const state = (change.kind === 'hello' && change.message) || (change.kind === 'runs' && change.state);
    if (state && state.handout) setAllowed(state.handout.download);
  });

  CL.handout = {
    start: function () {
      const bar = find('.cl-bar');
      if (!bar || find('.cl-handout')) return;
      build(bar);
      document.addEventListener('click', onClick);
      document.addEventListener('change', onChange);
      render();
    },
  };
})();
