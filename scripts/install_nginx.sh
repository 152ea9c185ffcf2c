#!/usr/bin/env bash
# Installs Debian's nginx for `make prod` (the proxy in front of the Rasa
# replicas), if it is not there yet. The project runs it with its own config
# (deploy/nginx.conf); the package's own service is left stopped.
set -euo pipefail
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && exit 0
echo "==> Installing Debian's nginx for make prod"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -qq
# policy-rc.d 101: the package must not start its own nginx on port 80.
printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d > /dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light > /dev/null || \
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx > /dev/null
$sudo rm -f /usr/sbin/policy-rc.d
