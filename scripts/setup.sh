#!/usr/bin/env bash
# Prepare this checkout: system packages (bubblewrap), a virtualenv with the project.
# Usage: scripts/setup.sh [extra...]   e.g. scripts/setup.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

need_pkgs=()
command -v bwrap >/dev/null 2>&1 || need_pkgs+=(bubblewrap)
if [[ "$extras" == *dev* ]]; then
  # The tests start their own throwaway PostgreSQL server from the installed binaries.
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || command -v pg_ctl >/dev/null 2>&1 || need_pkgs+=(postgresql)
  # Browser tests drive the system's Chromium with Playwright (no browser is ever downloaded).
  [[ -x /usr/bin/chromium ]] || need_pkgs+=(chromium)
  # Scale-out tests start their own throwaway Redis server.
  command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
fi
if ((${#need_pkgs[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "setup: installing ${need_pkgs[*]} with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "setup: installing ${need_pkgs[*]} with sudo apt-get"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need_pkgs[*]}" >&2
    echo "setup: run:  sudo apt-get install -y ${need_pkgs[*]}   and then run this command again" >&2
    exit 1
  fi
fi

# The real interpreter, never a version-manager shim (a shim costs 0.1-0.2 s per sandbox start).
py=""
for cand in python3.11 python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null 2>&1; then
    real=$("$cand" -c 'import sys; print(sys.executable if sys.version_info >= (3, 11) else "")' 2>/dev/null || true)
    if [[ -n "$real" ]]; then py="$real"; break; fi
  fi
done
if [[ -z "$py" ]]; then
  echo "setup: Python 3.11 or newer is needed: sudo apt-get install -y python3 python3-venv" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $py"
  "$py" -m venv .venv
fi
stamp=".venv/.installed-${extras:-base}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
  echo "setup: installing the project into .venv${extras:+ (with $extras)}"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
