"""One audience page in an engine other than Chromium, behind one small interface:
`open(url)`, `evaluate(expression)`, `wait(expression, timeout)`, `problems`, `close()`.

    WebKitPage   Debian's WebKitGTK: MiniBrowser driven by WebKitWebDriver (selenium), on an Xvfb
                 display of its own (what `xvfb-run -a` does by hand: a free display number)
    FirefoxPage  Debian's Firefox ESR, headless, driven over WebDriver BiDi by npm puppeteer-core
                 through tests/engines/firefox_bridge.mjs (no browser download at run time)

Both are installed by scripts/ensure-browsers.sh (`make test` runs it).
"""
import json
import os
import queue
import shutil
import subprocess
import threading
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
FIREFOX = "/usr/bin/firefox-esr"
WAIT_S = 15.0          # generous: a deadline, not a measurement
POLL_S = 0.1
INSTALL = "install it with scripts/ensure-browsers.sh (make test runs it)"


def need(path, what):
    if not (Path(path).exists() or shutil.which(path)):
        raise RuntimeError(f"{what} is missing ({path}): {INSTALL}")


class Xvfb:
    """A virtual X display on a free number (Xvfb -displayfd), stopped by close()."""

    def __init__(self):
        need("Xvfb", "Xvfb (Debian xvfb)")
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()   # blocking: Xvfb writes it once it is ready
        if not number:
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class WebKitPage:
    """MiniBrowser through WebKitWebDriver; its window sized like a phone held upright."""
    name = "webkit"

    def __init__(self, width, height):
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service
        need(WEBKIT_DRIVER, "WebKitWebDriver (Debian webkit2gtk-driver)")
        need(MINIBROWSER, "MiniBrowser (Debian libwebkit2gtk-4.1-0)")
        self.xvfb = Xvfb()
        options = Options()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        service = Service(executable_path=WEBKIT_DRIVER,
                          env={**os.environ, "DISPLAY": self.xvfb.display})
        try:
            with warnings.catch_warnings():   # selenium 4.51's own WebKitGTK class uses an API it deprecates
                warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
                self.driver = webdriver.WebKitGTK(options=options, service=service)
            self.driver.set_window_size(width, height)
        except Exception:
            self.xvfb.close()
            raise

    def open(self, url):
        self.driver.get(url)

    def watch_errors(self):
        """WebKitWebDriver has no console log: from now on, the page keeps its errors."""
        self.evaluate("(window.__problems = [], addEventListener('error', e => "
                      "__problems.push('pageerror: ' + e.message)), "
                      "console.error = (...a) => __problems.push('console: ' + a.join(' ')), true)")

    @property
    def problems(self):
        found = self.evaluate("window.__problems || []") if hasattr(self, "driver") else []
        return [f"webkit {problem}" for problem in found]

    def evaluate(self, expression):
        return self.driver.execute_script(f"return ({expression});")

    def wait(self, expression, timeout=WAIT_S):
        """WebDriver has no push: selenium's own wait asks the page every POLL_S."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            WebDriverWait(self.driver, timeout, poll_frequency=POLL_S).until(
                lambda _driver: self.evaluate(expression))
        except TimeoutException:
            raise TimeoutError(f"webkit: still false after {timeout} s: {expression}") from None

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.xvfb.close()


class FirefoxPage:
    """Firefox ESR, headless, through the puppeteer-core bridge (one JSON line per command)."""
    name = "firefox"

    def __init__(self, width, height):
        need(FIREFOX, "Firefox ESR (Debian firefox-esr)")
        need(str(ROOT / "node_modules" / "puppeteer-core"), "npm puppeteer-core (npm ci)")
        self.problems = []
        self.answers = queue.Queue()
        self.next_id = 0
        self.process = subprocess.Popen(
            ["node", str(HERE / "firefox_bridge.mjs"), str(width), str(height)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "FIREFOX": FIREFOX})
        self.errors = []
        self.readers = [threading.Thread(target=self.read_answers, daemon=True),
                        threading.Thread(target=self.read_errors, daemon=True)]
        for reader in self.readers:
            reader.start()
        ready = self.answer(60)
        if "ready" not in ready:
            raise RuntimeError(f"firefox bridge did not start: {ready} {''.join(self.errors)[-2000:]}")

    def read_answers(self):
        for line in self.process.stdout:
            message = json.loads(line)
            if "problem" in message:
                self.problems.append(f"firefox {message['problem']}")
            else:
                self.answers.put(message)
        self.answers.put({"ok": False, "error": "the bridge exited"})

    def read_errors(self):
        for line in self.process.stderr:
            self.errors.append(line)

    def answer(self, timeout):
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"firefox bridge silent for {timeout} s") from None

    def command(self, op, arg, timeout=WAIT_S):
        self.next_id += 1
        self.process.stdin.write(json.dumps({"id": self.next_id, "op": op, "arg": arg,
                                             "timeout": int(timeout * 1000)}) + "\n")
        self.process.stdin.flush()
        reply = self.answer(timeout + 30)
        if not reply.get("ok"):
            message = reply.get("error", "")
            raise (TimeoutError if "Timed out" in message or "timeout" in message else RuntimeError)(
                f"firefox {op} {arg!r}: {message}")
        return reply.get("value")

    def open(self, url):
        self.command("goto", url, 30)

    def watch_errors(self):
        """Console errors and uncaught exceptions come from the bridge from the start."""

    def evaluate(self, expression):
        return self.command("eval", f"({expression})")

    def wait(self, expression, timeout=WAIT_S):
        self.command("wait", f"!!({expression})", timeout)

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"op": "close"}) + "\n")
                self.process.stdin.flush()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for reader in self.readers:
            reader.join(10)   # they end at the pipes' end, now the bridge has exited
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                pipe.close()
            except OSError:
                pass


ENGINES = {"webkit": WebKitPage, "firefox": FirefoxPage}
