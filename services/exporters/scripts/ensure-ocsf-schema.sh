#!/usr/bin/env bash
# Builds the JSON Schema of OCSF's Detection Finding (class 2004) for the OCSF version our output names, from the OCSF
# project's own schema export, so the OCSF test validates against the official schema and not a hand-written field
# list. The PyPI package `ocsf-json-schema` ships the schema server's export of each OCSF release (its ocsf/<version>.json,
# Apache-2.0, OCSF's text) and turns a class of it into a JSON Schema (draft 2020-12, with the schema's at_least_one /
# just_one constraints). It is installed with pip into .cache/ocsf (gitignored); nothing else is downloaded.
# Usage: ensure-ocsf-schema.sh OCSF_VERSION PROFILE,...   prints the path of the generated schema file. The profiles are
# those the findings declare in metadata.profiles (host: actor; incident: verdict, assignee).
set -euo pipefail
VERSION="${1:-1.8.0}"
PROFILES="${2:-}"
PKG_VERSION="1.2.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CACHE="$ROOT/.cache/ocsf"
LIB="$CACHE/ocsf-json-schema-$PKG_VERSION"
OUT="$CACHE/$VERSION/detection_finding${PROFILES:+.$PROFILES}.schema.json"
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
# Test files run in parallel processes: one builds, the others wait for it.
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
PY="$(command -v python3 || true)"
if [ -z "$PY" ]; then echo "ensure-ocsf-schema: python3 is needed to build the OCSF JSON Schema" >&2; exit 1; fi
if [ ! -f "$LIB/ocsf_json_schema/ocsf/$VERSION.json" ]; then
  rm -rf "$LIB.tmp"
  "$PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$LIB.tmp" "ocsf-json-schema==$PKG_VERSION" >&2
  rm -rf "$LIB" && mv "$LIB.tmp" "$LIB"
fi
mkdir -p "$(dirname "$OUT")"
PYTHONPATH="$LIB" "$PY" - "$VERSION" "$OUT.tmp" "$PROFILES" <<'PYEOF'
import json, sys
from ocsf_json_schema import get_ocsf_schema, OcsfJsonSchemaEmbedded
version, out = sys.argv[1], sys.argv[2]
profiles = [p for p in sys.argv[3].split(",") if p]
schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
json_schema = schema.get_class_schema(class_name=schema.lookup_class_name_from_uid(class_uid=2004), profiles=profiles)
with open(out, "w") as f:
    json.dump(json_schema, f)
PYEOF
mv "$OUT.tmp" "$OUT"
echo "$OUT"
