// The highlighter remark is built with (scripts/remark/build.mjs puts it in place of remark's
// own src/remark/highlighter.js, which bundles every language and theme highlight.js 9 had:
// 820 KB of the 935 KB remark sends a phone). This one is highlight.js 11's core with the
// languages a talk on Python shows, and GitHub's theme, the one deck.js asks for.
//
// remark calls engine.highlightBlock(block, tabReplacement) on every code block that has a
// language class, and appends every entry of `styles` to its stylesheet.
var hljs = require('highlight.js/lib/core');

// Add a language here (and say so in docs/ARCHITECTURE.md, "The deck's code blocks").
var LANGUAGES = {
  python: require('highlight.js/lib/languages/python'),
  'python-repl': require('highlight.js/lib/languages/python-repl'),
  bash: require('highlight.js/lib/languages/bash'),
  shell: require('highlight.js/lib/languages/shell'),
  plaintext: require('highlight.js/lib/languages/plaintext'),
  json: require('highlight.js/lib/languages/json'),
  yaml: require('highlight.js/lib/languages/yaml'),
  ini: require('highlight.js/lib/languages/ini'),
  diff: require('highlight.js/lib/languages/diff'),
  xml: require('highlight.js/lib/languages/xml'),
  markdown: require('highlight.js/lib/languages/markdown'),
};
Object.keys(LANGUAGES).forEach(function (name) {
  hljs.registerLanguage(name, LANGUAGES[name]);
});

// The first of the block's classes that names a registered language (or one of its aliases:
// sh, py, pycon, toml, html ...); none, and the block stays plain text.
function languageOf(block) {
  var names = block.className.split(/\s+/);
  for (var i = 0; i < names.length; i++) {
    var name = names[i].replace(/^lang(uage)?-/, '');
    if (name && hljs.getLanguage(name)) {
      return name;
    }
  }
  return null;
}

function highlightBlock(block, tabReplacement) {
  var language = languageOf(block);
  if (!language) {
    return;
  }
  var text = block.textContent.replace(/\t/g, tabReplacement || '  ');
  // hljs escapes the text it returns, so the markup is only its own spans
  block.innerHTML = hljs.highlight(text, {language: language, ignoreIllegals: true}).value;
  block.classList.add('hljs');
}

module.exports = {
  engine: {highlightBlock: highlightBlock},
  styles: {github: require('highlight.js/styles/github.min.css')},
};
