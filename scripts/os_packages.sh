#!/usr/bin/env bash
# Install the Debian packages DAB's set-up needs, when they are missing and we may (root + apt-get).
#   os_packages.sh venv      python3-venv (ensurepip), for `python3 -m venv`
#   os_packages.sh chromium  Debian's chromium, for the browser tests
#   os_packages.sh npm       Debian's npm, to install axe-core for the accessibility tests (scripts/test_tools.sh)
set -euo pipefail
what=${1:?usage: os_packages.sh venv|chromium|npm}

install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: cannot install $1 here (needs root and apt-get); $2" >&2
    return 1
  fi
  echo "Installing Debian package(s): $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $1 >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $1 >/dev/null; }
}

case "$what" in
  venv)
    py=$(command -v python3.11 || command -v python3)
    "$py" -c 'import ensurepip, venv' 2>/dev/null && exit 0
    install "python3-venv python3.11-venv" "install python3-venv yourself" || install python3-venv "install python3-venv yourself"
    ;;
  chromium)
    [ -x /usr/bin/chromium ] && exit 0
    install chromium "the browser tests will skip and say why" || exit 0
    ;;
  npm)
    command -v npm >/dev/null && exit 0
    install npm "the accessibility tests will skip and say why" || exit 0
    ;;
  *) echo "unknown: $what" >&2; exit 2 ;;
esac
