// What on the visible slide does not fit its frame: a list of one-line problems (empty = fits).
// remark scales a fixed frame (.remark-slide-scaler); the content box is a table cell that grows
// with its content, so we also compare every element's box with the frame, and look for text
// clipped inside boxes that scroll or hide overflow (a long code line in a <pre>).
// Our panels clip on purpose inside themselves: only their outer box is checked.
(slack) => {
  const content = document.querySelector('.remark-visible .remark-slide-content');
  const frame = document.querySelector('.remark-visible .remark-slide-scaler').getBoundingClientRect();
  const scale = frame.width / document.querySelector('.remark-visible .remark-slide-scaler').offsetWidth;
  const problems = [];
  const widestLine = (el) => {
    const lines = Array.from(el.querySelectorAll('.remark-code-line'), (line) => line.textContent);
    return (lines.length ? lines : [el.textContent]).reduce((a, b) => (b.length > a.length ? b : a), '').trim();
  };
  const name = (el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '');
  if (content.scrollHeight > content.clientHeight + slack || content.scrollWidth > content.clientWidth + slack) {
    problems.push('content scrolls: ' + content.scrollWidth + 'x' + content.scrollHeight +
                  ' in ' + content.clientWidth + 'x' + content.clientHeight);
  }
  for (const el of content.querySelectorAll('*')) {
    if (el.parentElement.closest('.demo-panel, .compare-panel')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const out = slack * scale;
    // the lines inside a code block: the block's clipping test below speaks for them
    const inCode = el.closest('pre') !== null && el.parentElement.closest('code') !== null;
    if (!inCode && (box.left < frame.left - out || box.top < frame.top - out ||
                    box.right > frame.right + out || box.bottom > frame.bottom + out)) {
      problems.push('outside the frame: ' + name(el));
    }
    const clips = getComputedStyle(el).overflowX !== 'visible';
    if (clips && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + slack) {
      problems.push('clipped: ' + name(el) + ' ' + el.scrollWidth + ' > ' + el.clientWidth +
                    ': ' + widestLine(el));
    }
  }
  return problems;
}
