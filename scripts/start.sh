#!/usr/bin/env bash
# Set up this checkout, check the sandbox, and grade the example problem's correct
# solution and a solution with a known mistake, through the real sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
py=.venv/bin/python
$py -m grader self-test
problem=tests/bundles/toy-layers
echo
echo "== grading the reference solution of $problem =="
$py -m grader grade --problem "$problem" "$problem/solution/toy.py"
echo
echo "== grading a solution that sums instead of averaging (known mistake) =="
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$problem/solution/toy.py" "$problem/mistakes/mse_sum.py" > "$tmp/toy.py"
$py -m grader grade --problem "$problem" "$tmp/toy.py"
