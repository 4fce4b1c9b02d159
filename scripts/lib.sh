# Shared shell helpers for scripts/test.sh and .ci/run (sourced, not run).

PY=${PYTHON:-python3}

# pip install that hides the machine's harmless mirror warnings but never a failure.
# A preinstalled awscli pins botocore exactly; naming it in the same install keeps pip from breaking it.
pip_install() {
  local log extra=""
  log=$(mktemp)
  if "$PY" -m pip show awscli >/dev/null 2>&1; then extra=awscli; fi
  if ! "$PY" -m pip install -q "$@" $extra >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "pip install $* failed" >&2
    return 1
  fi
  grep -v -E "WARNING: (Location '.*' is ignored|Running pip as the 'root')|^\s*$" "$log" || true
  rm -f "$log"
  "$PY" -m pip check
}
