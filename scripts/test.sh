#!/usr/bin/env bash
# Set up and run mlyard's tests: the README's test command, and what .ci/run runs.
#   bash scripts/test.sh            the default suite (slow cases excluded)
#   bash scripts/test.sh -m slow    only the slow cases; any other pytest arguments pass through
# PostgreSQL cases run when MLYARD_TEST_DATABASE_URL is set; if it is not and PostgreSQL's server
# binaries are installed, a throwaway cluster is started on 127.0.0.1 for the run and stopped after.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
pip_install -e '.[dev]'
# The studio: the browser tests need it built (they skip without it, except under CI); this also
# type-checks it and runs its component tests (npm test). Skipped with a note when node is absent.
bash scripts/build-studio.sh

if [ -z "${MLYARD_TEST_DATABASE_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/mlyard-pg.XXXXXX)
  chmod 755 "$pgdir"
  trap 'bash scripts/pg-throwaway.sh stop "$pgdir/pg"; rm -rf "$pgdir"' EXIT
  MLYARD_TEST_DATABASE_URL=$(bash scripts/pg-throwaway.sh start "$pgdir/pg" | tail -1)
  export MLYARD_TEST_DATABASE_URL
fi
if [ -z "${MLYARD_TEST_DATABASE_URL:-}" ]; then
  echo "note: PostgreSQL not found (apt-get install -y postgresql); its cases will be skipped" >&2
fi

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(-m "not slow")
fi
rc=0
"$PY" -m pytest "${args[@]}" || rc=$?
# pytest's 5 means no test matched the selection (e.g. no slow case yet): not a failure.
if [ "$rc" -eq 5 ]; then echo "no tests matched: ${args[*]}"; rc=0; fi
exit "$rc"
