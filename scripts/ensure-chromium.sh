#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests; install it where apt can.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Chromium for the browser tests (Debian packages chromium, chromium-driver)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
The browser tests need Chromium at /usr/bin/chromium.
On Debian or Ubuntu, install it with:
    sudo apt-get install chromium chromium-driver
then run `make test` again.
MSG
exit 1
