#!/usr/bin/env bash
# setup.sh -- installs what building and testing ember needs on Debian 12, and
# nothing when it is already there (idempotent). Run as root or with sudo.
#   scripts/setup.sh            system packages for the C library and demo
#   scripts/setup.sh --python   also the pinned Python virtual environment (.venv)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake clang libopenblas-dev liblapacke-dev valgrind pkg-config zlib1g-dev
      python3 python3-venv python3-dev)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--python" ]; then
  PY=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PY --version)"
    $PY -m venv .venv
  fi
  req=tests/python/requirements.txt
  stamp=.venv/.requirements.sha
  if [ -f "$req" ]; then
    sum=$(sha256sum "$req" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
      .venv/bin/python -m pip install -q --upgrade pip
      .venv/bin/python -m pip install -q -r "$req"
      echo "$sum" > "$stamp"
    fi
  fi
fi
