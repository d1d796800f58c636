// Builds the remark a phone downloads: `node scripts/remark/build.mjs [OUT]` (make does it).
//
// remark-slide's own out/remark.min.js (665 KB, 197 KB gzipped) bundles highlight.js 9 with
// every language and theme. This bundles remark's source from the same npm package with
// esbuild, its highlighter replaced by scripts/remark/highlighter.js: the same remark,
// about a quarter of the bytes. The output is build output: never committed.
import * as esbuild from 'esbuild';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.argv[2] || join(root, 'build', 'remark.min.js');
const ours = join(root, 'scripts', 'remark', 'highlighter.js');

// remark's modules require('./highlighter') or require('../../highlighter'): all of them get ours
const leanHighlighter = {
  name: 'lean-highlighter',
  setup(build) {
    build.onResolve({filter: /(^|\/)highlighter$/}, (args) =>
      args.importer.includes('remark-slide') ? {path: ours} : undefined);
  },
};

await esbuild.build({
  entryPoints: [join(root, 'node_modules', 'remark-slide', 'src', 'remark.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  platform: 'browser',
  loader: {'.css': 'text'},
  legalComments: 'eof',
  plugins: [leanHighlighter],
  outfile: out,
  logLevel: 'warning',
});
