#!/usr/bin/env bash
# Installs Debian's nginx for `make prod` (the proxy in front of the Rasa
# replicas), if it is not there yet. The project runs it with its own
# configuration (deploy/nginx.conf), so the package's own service is kept from
# starting on port 80 while it installs.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
echo "==> Installing Debian's nginx for make prod"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -qq
hold=""
trap '[ -z "$hold" ] || $sudo rm -f "$hold"' EXIT   # never leave other packages' services held back
if [ ! -e /usr/sbin/policy-rc.d ]; then  # exit 101: "do not start services"; an existing policy is left alone
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d > /dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
  hold=/usr/sbin/policy-rc.d
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx > /dev/null
# The package's own nginx (port 80, Debian's config) is not ours: keep it from starting at boot.
$sudo systemctl disable nginx > /dev/null 2>&1 || $sudo update-rc.d nginx disable > /dev/null 2>&1 || true
