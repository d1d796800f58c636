"""What the tests and the benchmarks both need to start real things (and nothing else):

    harness.app_process   AppProcess: the real deck app, `python app.py --port 0 ...`, as a child
    harness.headless      launch(playwright): Debian's Chromium, headless, offline; chromium()
                          (Playwright and a browser) and fresh_context(browser), both closed
                          at the end of their `with` block

tests/ and bench/ import this package; it imports neither of them (nor live/ or runner/: it
starts the app as a process, it never imports it). A test never imports bench/, and bench/
never imports tests/ (tests/test_layering.py checks both).
"""
