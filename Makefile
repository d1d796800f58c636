# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARGS   ?=
PYTEST_ARGS ?=

.PHONY: setup run test bench browser clean handout

setup: $(VENV)/.installed node_modules/.installed build/remark.min.js

# Re-install whenever the pinned requirements change.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Front-end libraries come from npm (package-lock.json), never from a CDN.
node_modules/.installed: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

# remark for the phones: its own source bundled with a lean highlight.js (scripts/remark/).
build/remark.min.js: node_modules/.installed scripts/remark/build.mjs scripts/remark/highlighter.js
	node scripts/remark/build.mjs $@

browser:
	@scripts/ensure-browsers.sh

run: setup
	$(PY) app.py $(ARGS)

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The handout of the talk as presented (instance/ by default): index.html, the PDF, traces.
handout: setup browser
	$(PY) app.py export $(ARGS)

bench: setup
	$(PY) -m bench.fidelity

clean:
	rm -rf $(VENV) node_modules build instance test-artifacts .pytest_cache .hypothesis
