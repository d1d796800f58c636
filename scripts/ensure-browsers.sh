#!/usr/bin/env bash
# Make sure the browser tests have their engines, from Debian's packages:
#   Chromium (Playwright drives /usr/bin/chromium) and a Japanese font for the Japanese deck;
#   WebKitGTK's WebDriver and MiniBrowser, with Xvfb for a display (tests/engines, WebKit);
#   Firefox ESR (tests/engines, driven by npm puppeteer-core over WebDriver BiDi).
# Installs what is missing where apt can; otherwise says exactly what to install.
set -euo pipefail
MINIBROWSER=/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja 2>/dev/null)" ] || missing+=(fonts-ipafont-gothic)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
[ -x "$MINIBROWSER" ] || missing+=(libwebkit2gtk-4.1-0)
{ command -v Xvfb && command -v xvfb-run; } >/dev/null 2>&1 || missing+=(xvfb xauth)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing for the browser tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -x "$MINIBROWSER" ] || { echo "no MiniBrowser at $MINIBROWSER after installing" >&2; exit 1; }
  exit 0
fi
cat >&2 <<MSG
The browser tests need Chromium, WebKitGTK's WebDriver and MiniBrowser, Xvfb, Firefox ESR and a
Japanese font. On Debian or Ubuntu, install them with:
    sudo apt-get install ${missing[*]}
then run \`make test\` again.
MSG
exit 1
