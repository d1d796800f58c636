// Drives one Firefox ESR page for tests/engines over WebDriver BiDi (npm puppeteer-core, no
// browser download: Debian's /usr/bin/firefox-esr). One JSON command per stdin line, one JSON
// answer per stdout line:
//   {"id": 1, "op": "goto", "arg": URL}            -> {"id": 1, "ok": true}
//   {"id": 2, "op": "eval", "arg": "expression"}   -> {"id": 2, "ok": true, "value": ...}
//   {"id": 3, "op": "wait", "arg": "expression", "timeout": ms}
// and unprompted {"problem": text} for console errors and uncaught exceptions.
// Usage: node tests/engines/firefox_bridge.mjs WIDTH HEIGHT
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const [width, height] = process.argv.slice(2).map(Number);

function say(message) { process.stdout.write(JSON.stringify(message) + '\n'); }

const browser = await puppeteer.launch({browser: 'firefox', executablePath: FIREFOX, headless: true});
const page = await browser.newPage();
await page.setViewport({width: width || 390, height: height || 844});
page.on('console', (message) => { if (message.type() === 'error') say({problem: 'console: ' + message.text()}); });
page.on('pageerror', (error) => say({problem: 'pageerror: ' + error.message}));

async function run(command) {
  if (command.op === 'goto') return void await page.goto(command.arg);
  if (command.op === 'eval') return await page.evaluate(command.arg);
  if (command.op === 'wait') {
    await page.bringToFront();   // a background tab gets no animation frames
    return void await page.waitForFunction(command.arg, {timeout: command.timeout || 15000, polling: 100});
  }
  throw new Error('unknown op ' + command.op);
}

say({ready: await browser.version()});
for await (const line of readline.createInterface({input: process.stdin})) {
  const command = JSON.parse(line);
  if (command.op === 'close') break;
  try {
    say({id: command.id, ok: true, value: await run(command)});
  } catch (error) {
    say({id: command.id, ok: false, error: String(error && error.message || error)});
  }
}
await browser.close();
