#!/usr/bin/env bash
# Schema-driven API fuzz (issue 13, part 5): schemathesis, installed here from PyPI at a pinned version into a venv
# under .cache/ (gitignored), fuzzes a local `agentwatch up --demo` (embedded store in a temp folder, bootstrap
# token from the environment) through the OpenAPI document it serves at /openapi.json.
# Checks: no 5xx, answers conform to the document (status, content type, schema), no request hangs (timeout).
# Seeded and time-boxed: FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_MAX_TIME (seconds) override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.cache/fuzz-venv # the cd below relies on this path
SEED=${FUZZ_SEED:-20261124}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-60}
MAX_TIME=${FUZZ_MAX_TIME:-100}

if ! "$VENV/bin/st" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d)
up_pid=''
cleanup() {
  if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
    kill "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

AGENTWATCH_BOOTSTRAP_TOKEN=$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")
export AGENTWATCH_BOOTSTRAP_TOKEN
node bin/agentwatch.mjs up --demo --data "$work/data" --listen 127.0.0.1:0 >"$work/up.log" 2>&1 &
up_pid=$!

base=''
for _ in $(seq 1 240); do
  base=$(grep -o 'listening on http://[^ ]*' "$work/up.log" | head -1 | sed 's/^listening on //' || true)
  if [ -n "$base" ] && curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "agentwatch up exited before it was ready:" >&2
    tail -50 "$work/up.log" >&2
    exit 1
  fi
  base=''
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "agentwatch up was not ready within 120 s" >&2
  tail -50 "$work/up.log" >&2
  exit 1
fi
echo "== schemathesis $SCHEMATHESIS_VERSION against $base (seed $SEED, at most $MAX_EXAMPLES examples per operation, ${MAX_TIME}s)"

status=0
# Run from .cache/ so schemathesis keeps its crash cache (replayed first on the next local run) out of the tree.
(cd .cache && exec fuzz-venv/bin/st run "$base/openapi.json" \
  --header "Authorization: Bearer $AGENTWATCH_BOOTSTRAP_TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --seed "$SEED" \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --request-timeout 10 \
  --workers 1 \
  --suppress-health-check too_slow,data_too_large,filter_too_much \
  --report junit --report-dir "$work/report") >"$work/fuzz.log" 2>&1 || status=$?
# schemathesis closes with a pytest-style banner ("=== 4 warnings in 100s ===") that CI log readers take for a test
# runner that ran no test; print its report without the banner lines.
grep -v '^=\{3,\}' "$work/fuzz.log" || true

if ! kill -0 "$up_pid" 2>/dev/null; then
  echo "agentwatch up died during the fuzz run:" >&2
  tail -50 "$work/up.log" >&2
  status=1
fi
exit "$status"
