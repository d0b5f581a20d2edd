#!/usr/bin/env bash
# The console's browser test (services/console/test/console.e2e.test.ts) drives Debian's chromium. `npm test` runs
# this first: when /usr/bin/chromium is missing it installs the `chromium` package (as root, with apt-get), or stops
# with one line saying what to install. Nothing is downloaded outside the distribution's packages.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null && [ -x "$CHROMIUM" ]; then exit 0; fi
  echo "ensure-chromium: apt-get install chromium failed; the console's browser test needs $CHROMIUM" >&2
  exit 1
fi
echo "ensure-chromium: $CHROMIUM is missing: install Debian's chromium package (apt-get install chromium, as root) to run the console's browser test" >&2
exit 1
