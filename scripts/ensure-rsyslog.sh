#!/usr/bin/env bash
# The syslog export test (test/export-syslog.test.ts) sends CEF over RFC 5424 to a real rsyslog on loopback: plain
# TCP, UDP, TLS (RFC 5425) through rsyslog's GnuTLS network stream driver, and RELP (acknowledged, imrelp). When
# `rsyslogd`, that driver or imrelp is missing this installs Debian's rsyslog, rsyslog-gnutls and rsyslog-relp packages
# (as root, with apt-get), or stops with one line saying what to install. Nothing is downloaded outside the distribution's packages; the test starts its own rsyslogd
# in the foreground with its own config, the system's syslog service is not used.
set -euo pipefail
have() {
  command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || return 1
  for m in lmnsd_gtls imrelp; do ls /usr/lib/*/rsyslog/$m.so >/dev/null 2>&1 || ls /usr/lib/rsyslog/$m.so >/dev/null 2>&1 || return 1; done
}
have && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-rsyslog: rsyslogd, its TLS driver or imrelp is missing; installing Debian's rsyslog, rsyslog-gnutls and rsyslog-relp packages" >&2
  if bash "$(dirname "$0")/apt-install.sh" rsyslog rsyslog-gnutls rsyslog-relp && have; then exit 0; fi
  echo "ensure-rsyslog: apt-get install rsyslog rsyslog-gnutls rsyslog-relp failed; the syslog export test needs them" >&2
  exit 1
fi
echo "ensure-rsyslog: rsyslogd is missing: install Debian's rsyslog, rsyslog-gnutls and rsyslog-relp packages (as root) to run the syslog export test" >&2
exit 1
