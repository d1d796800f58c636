/* Boots the page: remark with the deck from data-deck-url, the socket, and who drives.
   The presenter sends goto on every slide shown; the audience follows until it navigates on its own,
   then browses alone until F or the Follow button. A second presenter tab goes along with the first
   (whichever moves drives), and a tab coming back from sleep pushes only moves it made offline. */
(function () {
  'use strict';
  const CL = window.CL;
  const GOTO_GAP_MS = 120;   // at most ~8 goto/s: the server allows 10/s, so a held arrow key never gets refused
  const ECHO_MS = 1000;      // how long a slide broadcast may lag behind our own goto
  const UI = '.demo-panel, .compare-panel, .crowd-panel, .predict-panel, .crowd-dock, .cl-bar, .cl-toasts';
  const FIELDS = 'input, select, textarea, button';   // a focused button only keeps Space and Enter

  const isPresenter = CL.role === 'presenter';
  // A remark clone window (key C) is driven by its opener through postMessage; it must not drive.
  const isClone = isPresenter && !!window.opener;
  const startedWithHash = location.hash.length > 1;

  let slideshow = null;
  const isOffline = !!CL.offline;   // the handout: nobody to follow, nowhere to send
  let following = !isPresenter && !isOffline;
  let expected = null;      // the slide we are moving to because the presenter did
  let greeted = false;      // has the first hello been handled?
  let gotoTimer = null;
  let gotoSlide = null;
  let lastGotoAt = -Infinity;
  let lastSent = null;      // presenter: the slide the server last heard from us
  let echoDue = 0;          // presenter: until then, broadcasts may be older than our last goto
  let unsent = false;       // presenter: moved while the socket was down

  function currentSlide() { return slideshow ? slideshow.getCurrentSlideIndex() : -1; }

  function moveTo(index) {
    if (!slideshow || typeof index !== 'number' || index === currentSlide()) return;
    expected = index;
    slideshow.gotoSlide(index + 1);   // gotoSlide is 1-based
  }

  /* Presenter: one goto per shown slide, but at most one per GOTO_GAP_MS (the last one always goes). */
  function sendGoto(index) {
    gotoSlide = index;
    if (gotoTimer !== null) return;
    const wait = Math.max(0, lastGotoAt + GOTO_GAP_MS - performance.now());
    gotoTimer = setTimeout(function () {
      gotoTimer = null;
      lastGotoAt = performance.now();
      unsent = !CL.socket.send({type: 'goto', slide: gotoSlide});
      if (!unsent) {
        lastSent = gotoSlide;
        echoDue = lastGotoAt + ECHO_MS;
      }
    }, wait);
  }

  /* Another presenter tab moved: go along, unless the broadcast is our own goto coming back
     or older than a goto of ours still on its way. */
  function presenterMoved() {
    if (CL.store.slide === lastSent) {
      echoDue = 0;
      return;
    }
    if (gotoTimer !== null || performance.now() < echoDue) return;
    lastSent = CL.store.slide;
    moveTo(CL.store.slide);
  }

  /* The first hello puts a fresh presenter page on the server's slide (unless its URL named one);
     a later hello (reconnect, tab shown again) pushes a move made offline, or else catches up. */
  function presenterGreeted() {
    const push = unsent || (!greeted && startedWithHash);
    greeted = true;
    if (!push) return presenterMoved();
    if (currentSlide() !== CL.store.slide) sendGoto(currentSlide());
    unsent = false;
  }

  function setFollowing(value) {
    following = value;
    document.body.dataset.follow = value ? 'following' : 'alone';
    CL.status.setFollowing(value);
  }

  function onShowSlide(slide) {
    const index = slide.getSlideIndex();
    if (isPresenter) {
      if (!isClone && index !== expected) sendGoto(index);
      expected = null;
    } else if (following && index !== expected) {
      setFollowing(false);   // the viewer navigated on their own
    }
  }

  function onStoreChange(change) {
    if (change.kind === 'hello' && isPresenter && CL.store.role !== 'presenter') {
      CL.status.toast('the server does not take this page for the presenter\'s: open the presenter URL again');
    }
    if (change.kind === 'reject') CL.status.toast(change.reason);
    if (change.kind === 'problem') CL.status.toast(change.reason, 'warning');
    if (!slideshow || (change.kind !== 'hello' && change.kind !== 'slide')) return;
    if (!isPresenter) {
      if (following) moveTo(CL.store.slide);
    } else if (!isClone) {
      if (change.kind === 'hello') presenterGreeted();
      else presenterMoved();
    }
  }

  function follow() {
    setFollowing(true);
    moveTo(CL.store.slide);
  }

  /* remark's keyboard handlers sit on window and ignore focus: keys typed into our inputs stop at
     document. For the audience, F (remark's fullscreen) means "follow again". */
  function onKey(event) {
    const target = event.target;
    const field = target.closest && target.closest(FIELDS);
    if (field && (field.tagName !== 'BUTTON' || event.key === ' ' || event.key === 'Enter')) {
      if (event.key === 'Escape') field.blur();   // and let remark close its overlays too
      else event.stopPropagation();
      return;
    }
    const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    if (!isPresenter && plain && (event.key === 'f' || event.key === 'F')) {
      event.stopPropagation();
      if (event.type === 'keydown' && !event.repeat) follow();
    }
  }

  /* remark turns every tap into a slide change: none while following, none on our controls, and
     none in the reader view, where a finger scrolls the page (remark would cancel every touchmove);
     the reader view has its own back and forward buttons. */
  function onTouch(event) {
    const target = event.target;
    if ((!isPresenter && following) || CL.reader.active() || (target.closest && target.closest(UI))) {
      event.stopPropagation();
    }
  }

  function ready(created) {
    slideshow = created;
    slideshow.on('showSlide', onShowSlide);
    const parts = [CL.panel, CL.compare, CL.crowdpanel, CL.predict];
    slideshow.on('afterShowSlide', function () {
      CL.reader.slideShown();
      parts.forEach(function (part) { part.renderVisible(); });
    });
    CL.status.start();
    CL.reader.start();
    CL.panel.start();
    CL.crowdpanel.start();
    CL.predict.start();
    parts.forEach(function (part) { part.renderVisible(); });
    if (CL.handout) CL.handout.start();
    if (!isPresenter && !isOffline) setFollowing(true);
    document.body.dataset.ready = 'true';
    onStoreChange({kind: CL.store.slide === null ? 'none' : 'hello'});
  }

  CL.deck = {follow: follow, slideshow: function () { return slideshow; }};

  document.addEventListener('keydown', onKey);
  document.addEventListener('keypress', onKey);
  ['touchstart', 'touchmove', 'touchend'].forEach(function (name) {
    window.addEventListener(name, onTouch, {capture: true, passive: true});
  });
  CL.store.on(onStoreChange);
  CL.store.loadDemos();
  CL.socket.start({
    onMessage: CL.store.apply,
    onState: function (state, retryMs) {
      CL.status.setConn(state, retryMs);
      CL.panel.refresh();
    },
    onGap: function () { CL.store.resync(CL.panel.shownRunIds()); },
  });
  const ratio = innerWidth < innerHeight ? '4:3' : '16:9';   // a phone held upright gets bigger text
  document.documentElement.dataset.ratio = ratio;          // deck.css narrows code for 4:3
  remark.create({
    // The handout carries its markdown; the live page fetches it (notes only for the presenter).
    source: isOffline ? CL.offline.markdown : undefined,
    sourceUrl: isOffline ? undefined : document.body.dataset.deckUrl,
    ratio: ratio,
    highlightStyle: 'github',
    highlightLines: true,
    countIncrementalSlides: false,
    navigation: {scroll: false, click: false},
  }, ready);
})();
