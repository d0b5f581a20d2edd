#!/usr/bin/env bash
# apt-get update + install of Debian packages for a test's ensure-*.sh script, one at a time: test files run in
# parallel and two of them may each install a package on a fresh machine (rsyslog, clickhouse-server), while apt and
# dpkg refuse a second concurrent run instead of waiting. A shared flock serializes them; DPkg::Lock::Timeout also
# waits for an apt run started by anything else. Output is kept quiet; the caller says what failed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
exec 9>/tmp/agentwatch-apt.lock
flock -w 900 9
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
