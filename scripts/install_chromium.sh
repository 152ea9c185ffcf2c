#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests, if it is not there yet.
# (Playwright drives it by path; it never downloads a browser of its own.)
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "==> Installing Debian's chromium for the browser tests"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
