#!/usr/bin/env bash
# One entry point for a fresh machine: installs what the handbook needs, then runs it.
#   ./run.sh sandbox   — the bot against the built-in Telegram emulator, with demo data
#   ./run.sh test      — the whole test suite (pytest arguments may follow)
#   ./run.sh setup     — install only
set -euo pipefail
cd "$(dirname "$0")"

# poppler-utils: pdftoppm, pdftotext and pdffonts check the printed sheets in tests/test_printing.py.
DEBIAN_PACKAGES=(espeak-ng opus-tools sox chromium fonts-noto-core fonts-noto-color-emoji poppler-utils)
VENV=${HANDBOOK_VENV:-.venv}

install_debian_packages() {
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[test]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

setup() {
  if command -v apt-get >/dev/null 2>&1; then install_debian_packages; fi
  install_python_packages
}

cmd=${1:-help}
shift || true
case "$cmd" in
  setup) setup ;;
  sandbox) setup; exec "$VENV/bin/handbook" sandbox "$@" ;;
  test) setup; exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./run.sh sandbox | test [pytest args] | setup"; exit 2 ;;
esac
