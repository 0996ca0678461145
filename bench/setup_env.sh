#!/usr/bin/env bash
# setup_env.sh -- the benchmark's comparison environment, bench/.venv, kept
# apart from the project's .venv; idempotent (does nothing when up to date).
#
#   * system packages (Debian 12): the project's build tools (scripts/setup.sh)
#     and Debian's CPU-only PyTorch, python3-torch (PyPI's default torch wheel
#     pulls several GB of CUDA libraries). Installed when running as root or
#     with passwordless sudo; otherwise skipped with a note, and the report's
#     torch column says "not available".
#   * bench/.venv: Debian's /usr/bin/python3 with --system-site-packages (for
#     torch), plus the pins of bench/requirements.txt (NumPy, mlx[cpu],
#     jax[cpu], matplotlib, threadpoolctl).
#   * ember, built from this checkout (pip install .) whenever its sources
#     changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv
PY=${BENCH_PYTHON:-/usr/bin/python3}

SUDO=""
can_install=1
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else can_install=0; fi
fi
pkgs=(python3-torch python3-venv python3-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ $can_install -eq 1 ]; then
    echo "bench setup: installing ${missing[*]} (apt)"
    scripts/setup.sh >/dev/null
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bench setup: cannot install ${missing[*]} (not root, no passwordless sudo): torch will be 'not available'" >&2
  fi
fi

if [ ! -x $VENV/bin/python ]; then
  echo "bench setup: creating $VENV with $($PY --version) (--system-site-packages)"
  $PY -m venv --system-site-packages $VENV
fi
req=bench/requirements.txt
stamp=$VENV/.requirements.sha
sum=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "bench setup: installing $req"
  $VENV/bin/python -m pip install -q --upgrade pip
  $VENV/bin/python -m pip install -q -r "$req"
  echo "$sum" > "$stamp"
fi

# ember from this checkout, rebuilt when a source file changed.
src=$(find include src python/src python/ember setup.py pyproject.toml -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' -o -name '*.toml' \) -print0 \
      | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
estamp=$VENV/.ember.sha
if [ ! -f "$estamp" ] || [ "$(cat "$estamp")" != "$src" ]; then
  echo "bench setup: building and installing ember from $(pwd) (a few minutes)"
  $VENV/bin/python -m pip install -q --no-build-isolation . 
  echo "$src" > "$estamp"
fi
