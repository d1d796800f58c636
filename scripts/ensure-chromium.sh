#!/usr/bin/env bash
# Make sure the browser tests have Debian's Chromium and a Japanese font (for the Japanese deck);
# install them where apt can, otherwise say exactly what to install.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja 2>/dev/null)" ] || missing+=(fonts-ipafont-gothic)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing for the browser tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
cat >&2 <<MSG
The browser tests need Chromium at /usr/bin/chromium and a Japanese font.
On Debian or Ubuntu, install them with:
    sudo apt-get install ${missing[*]}
then run \`make test\` again.
MSG
exit 1
