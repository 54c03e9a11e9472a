#!/usr/bin/env bash
# Installs the Debian packages the checks use, each only when its command is missing:
#   promtool      (prometheus)      promtool check/test rules; `just observe`'s server
#   chromium      (chromium)        the web page's browser test (tests/e2e/test_page.py)
#   chromedriver  (chromium-driver) the W3C driver Selenium speaks to
# Runs as root, or through sudo. Exits non-zero when something could not be installed;
# the tests that need it then report themselves skipped, with the reason.
# Note: on a host that runs systemd, `prometheus` also enables a server on :9090; CI
# containers have no systemd, so nothing starts there.
set -euo pipefail

declare -A package=([promtool]=prometheus [chromium]=chromium [chromedriver]=chromium-driver)
missing=()
for command in promtool chromium chromedriver; do
  if command -v "$command" >/dev/null 2>&1; then
    echo "install-tools: $command: $(command -v "$command")"
  else
    missing+=("${package[$command]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-tools: not root and no sudo: install Debian's ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: no apt-get: install ${missing[*]} by hand" >&2
  exit 1
fi

echo "install-tools: installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
echo "install-tools: installed ${missing[*]}"
