#!/usr/bin/env bash
# The Kafka codec test (test/kafka-codecs.test.ts) produces and reads messages with kcat (librdkafka, as many real
# producers are) with every compression codec. The kafka test project's global setup runs this first: when kcat is
# missing it installs Debian's `kcat` package (as root, with apt-get), or stops with one line saying what to install.
# Nothing is downloaded outside the distribution's packages.
set -euo pipefail
command -v kcat >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-kcat: kcat is missing; installing Debian's kcat package" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq kcat >/dev/null && command -v kcat >/dev/null 2>&1; then exit 0; fi
  echo "ensure-kcat: apt-get install kcat failed; the Kafka codec test needs kcat" >&2
  exit 1
fi
echo "ensure-kcat: kcat is missing: install Debian's kcat package (apt-get install kcat, as root) to run the Kafka codec test" >&2
exit 1
