#!/usr/bin/env bash
# Installs promtool for tests/deploy (promtool check/test rules). Idempotent: does nothing
# when promtool is already on PATH. Debian/Ubuntu: the `prometheus` package ships it
# (Debian 12: 2.42). Runs as root, or through sudo when available.
# Note: on a host that runs systemd the package also enables a Prometheus server on :9090;
# CI containers have no systemd, so nothing starts there.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  echo "install-promtool: already installed: $(command -v promtool) ($(promtool --version 2>&1 | head -n1))"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-promtool: not root and no sudo: install Debian's 'prometheus' package" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-promtool: no apt-get: install promtool from https://prometheus.io/download/" >&2
  exit 1
fi

echo "install-promtool: installing Debian package 'prometheus' (provides promtool)"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
echo "install-promtool: installed $(command -v promtool) ($(promtool --version 2>&1 | head -n1))"
