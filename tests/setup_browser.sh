#!/usr/bin/env bash
# Test set-up for the browser test of the HTML report: Debian's Chromium and ChromeDriver.
# Needs root and Debian's package registry; without them the browser test skips and says why.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser test set-up: not root or no apt-get; the browser test will be skipped"; exit 0
fi
apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
  || echo "browser test set-up: could not install chromium; the browser test will be skipped"
exit 0
