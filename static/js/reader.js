/* Reader view: a phone held upright reads the current slide reflowed at phone size (deck.css,
   html[data-view="reader"]) instead of a 16:9 slide shrunk to 40 %. It is the same remark
   slideshow and the same slide elements, only laid out differently, so following, panels and
   bars ([data-demo], [data-request]) work as in the slide view. A switch in the status bar
   changes between the two and is remembered; landscape always shows the slide. The presenter's
   page is always the slide, as the projector shows it. */
(function () {
  'use strict';
  const CL = window.CL;
  const KEY = 'cl-view';   // localStorage: 'reader' or 'slide', the choice for a phone upright
  const upright = window.matchMedia('(orientation: portrait)');
  let shown = null;

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (error) {   // storage refused (private mode, a sandboxed frame): not remembered
      return null;
    }
  }

  function store(view) {
    try {
      window.localStorage.setItem(KEY, view);
    } catch (error) { /* the switch still works for this visit */ }
  }

  function chosen() {
    if (CL.role === 'presenter' || !upright.matches) return 'slide';
    return stored() === 'slide' ? 'slide' : 'reader';
  }

  function renderSwitch(view) {
    document.querySelectorAll('.cl-view-btn').forEach(function (button) {
      button.hidden = CL.role === 'presenter' || !upright.matches;
      button.textContent = view === 'reader' ? 'Slide view' : 'Reader view';
      button.setAttribute('aria-pressed', String(view === 'reader'));
    });
    document.querySelectorAll('.cl-nav').forEach(function (nav) { nav.hidden = view !== 'reader'; });
  }

  function apply() {
    const view = chosen();
    renderSwitch(view);
    if (view === shown) return;
    const wasReader = shown === 'reader';
    shown = view;
    document.documentElement.dataset.view = view;
    document.body.dataset.view = view;
    if (wasReader) window.dispatchEvent(new Event('resize'));   // remark re-fits the slide
    window.scrollTo(0, 0);
  }

  function onClick(event) {
    const target = event.target;
    if (!target.closest) return;
    if (target.closest('.cl-view-btn')) {
      store(chosen() === 'reader' ? 'slide' : 'reader');
      apply();
    }
    const slideshow = CL.deck && CL.deck.slideshow();
    if (!slideshow) return;
    if (target.closest('.cl-prev')) slideshow.gotoPreviousSlide();
    if (target.closest('.cl-next')) slideshow.gotoNextSlide();
  }

  CL.reader = {
    active: function () { return shown === 'reader'; },
    /* remark has rebuilt <body>: the switch is a new element. */
    start: function () {
      document.addEventListener('click', onClick);
      upright.addEventListener('change', apply);
      window.addEventListener('storage', apply);   // another tab switched
      renderSwitch(shown);
    },
    /* A new slide is shown: read it from the top. */
    slideShown: function () {
      if (shown === 'reader') window.scrollTo(0, 0);
    },
  };
  apply();
})();
