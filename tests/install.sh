#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine: the Python packages and, for the
# browser tests, Debian's Chromium (Playwright cannot download its own browser here) and the CJK
# fonts that let the Chinese page render as a visitor sees it; for the shared-database tests, Debian's
# PostgreSQL (tests/servers.py starts a throwaway server of its own; the packaged one is not used).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
