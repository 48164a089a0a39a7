#!/usr/bin/env bash
# Set up this checkout and start the service on http://127.0.0.1:8000 in the embedded mode:
# SQLite (WAL) in ./var, the built-in problems in a demo course, a demo instructor and
# student (their logins and API tokens are printed), and sandboxed grading slots in the
# same process. Running it again keeps every stored submission and account.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
py=.venv/bin/python
export GRADELAB_DATA_DIR="${GRADELAB_DATA_DIR:-var}"
export GRADELAB_DATABASE_URL="${GRADELAB_DATABASE_URL:-sqlite:///$GRADELAB_DATA_DIR/gradelab.db}"
mkdir -p "$GRADELAB_DATA_DIR"
$py -m grader self-test >/dev/null || { $py -m grader self-test; exit 1; }
$py -m app migrate
$py -m app demo
host="${GRADELAB_HOST:-127.0.0.1}"
port="${GRADELAB_PORT:-8000}"
cat <<MSG

Service: http://$host:$port   (API docs: http://$host:$port/docs)
Try it, as the demo student:
  curl -H "Authorization: Bearer <student token>" -F files=@reference/layers/starter/layers.py \\
       http://$host:$port/api/v1/courses/demo/problems/layers/submissions
  curl -H "Authorization: Bearer <student token>" http://$host:$port/api/v1/submissions/<id>
MSG
exec $py -m app serve --host "$host" --port "$port"
