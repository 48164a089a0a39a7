#!/usr/bin/env bash
# Run every check: lint, types, and the whole test suite (real sandboxes, no skips in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/python -m ruff check grader app tests bench
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
