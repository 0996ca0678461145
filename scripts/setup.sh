#!/usr/bin/env bash
# setup.sh -- installs what building and testing ember needs on Debian 12, and
# nothing when it is already there (idempotent). Run as root or with sudo.
#   scripts/setup.sh            system packages for the C library and demo
#   scripts/setup.sh --python   also the pinned Python virtual environment (.venv)
#   scripts/setup.sh --demo     also Fashion-MNIST (Debian's dataset-fashion-mnist), the
#                               demo's pinned extras (examples/requirements.txt) and ember
#                               itself in .venv (reinstalled only when its sources change)
#   scripts/setup.sh --demo-data  only the system packages and Fashion-MNIST (for build/mlp)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake clang libopenblas-dev liblapacke-dev valgrind pkg-config zlib1g-dev
      python3 python3-venv python3-dev)
MODE=${1:-}
if [ "$MODE" = "--demo" ] || [ "$MODE" = "--demo-data" ]; then PKGS+=(dataset-fashion-mnist); fi

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

if [ "$MODE" = "--python" ] || [ "$MODE" = "--demo" ]; then
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

if [ "$MODE" = "--demo" ]; then
  req=examples/requirements.txt
  stamp=.venv/.demo-requirements.sha
  sum=$(sha256sum "$req" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    .venv/bin/python -m pip install -q -r "$req"
    echo "$sum" > "$stamp"
  fi
  # ember itself: built and installed again only when a source file changed.
  stamp=.venv/.ember-sources.sha
  sum=$(find src include python setup.py pyproject.toml -type f \
          \( -name '*.c' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' -o -name '*.toml' \) \
          -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ] || ! .venv/bin/python -c 'import ember.core' 2>/dev/null; then
    echo "setup: installing ember into .venv (builds the extension; a few minutes)"
    .venv/bin/python -m pip install -q .
    echo "$sum" > "$stamp"
  fi
fi
