#!/usr/bin/env bash
# Run every check: lint, types, and the whole test suite (real sandboxes, no skips in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/python -m ruff check grader app tests bench
.venv/bin/python -m mypy
# The suite runs on every core (at most 4), one test file per worker process: each worker has its own
# throwaway PostgreSQL and Redis, its own sandbox slots (slots are taken with a lock) and its own browser.
# GRADELAB_TEST_WORKERS=1 runs it in this one process.
workers="${GRADELAB_TEST_WORKERS:-$(nproc)}"
if [ "$workers" -gt 4 ]; then workers=4; fi
if [ "$workers" -gt 1 ]; then
  exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
fi
exec .venv/bin/python -m pytest "$@"
