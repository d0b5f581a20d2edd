#!/usr/bin/env bash
# The ClickHouse security test (test/clickhouse-tls.test.ts) checks agentwatch's client side of HTTPS, client
# certificates and credentials against a real ClickHouse server. When `clickhouse-server` is missing this installs
# Debian's package (as root, with apt-get), or stops with one line saying what to install. Nothing is downloaded
# outside the distribution's packages. Debian's ClickHouse is old (18.16): enough for TLS, users and `SELECT 1`, not
# for agentwatch's tables (those run on the embedded engine, chdb).
set -euo pipefail
command -v clickhouse-server >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-clickhouse-server: clickhouse-server is missing; installing Debian's clickhouse-server package" >&2
  # apt-install.sh: one apt run at a time (the syslog test may be installing rsyslog in parallel).
  if bash "$(dirname "$0")/apt-install.sh" clickhouse-server && command -v clickhouse-server >/dev/null 2>&1; then exit 0; fi
  echo "ensure-clickhouse-server: apt-get install clickhouse-server failed; the ClickHouse security test needs it" >&2
  exit 1
fi
echo "ensure-clickhouse-server: clickhouse-server is missing: install Debian's clickhouse-server package (as root) to run the ClickHouse security test" >&2
exit 1
