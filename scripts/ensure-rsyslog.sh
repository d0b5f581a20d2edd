#!/usr/bin/env bash
# The syslog export test (test/export-syslog.test.ts) sends CEF over RFC 5424 to a real rsyslog on loopback: plain
# TCP, UDP, and TLS (RFC 5425) through rsyslog's GnuTLS network stream driver. When `rsyslogd` or that driver is
# missing this installs Debian's rsyslog and rsyslog-gnutls packages (as root, with apt-get), or stops with one line
# saying what to install. Nothing is downloaded outside the distribution's packages; the test starts its own rsyslogd
# in the foreground with its own config, the system's syslog service is not used.
set -euo pipefail
have() {
  command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || return 1
  ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || ls /usr/lib/rsyslog/lmnsd_gtls.so >/dev/null 2>&1
}
have && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-rsyslog: rsyslogd or its TLS driver is missing; installing Debian's rsyslog and rsyslog-gnutls packages" >&2
  if bash "$(dirname "$0")/apt-install.sh" rsyslog rsyslog-gnutls && have; then exit 0; fi
  echo "ensure-rsyslog: apt-get install rsyslog rsyslog-gnutls failed; the syslog export test needs them" >&2
  exit 1
fi
echo "ensure-rsyslog: rsyslogd is missing: install Debian's rsyslog and rsyslog-gnutls packages (as root) to run the syslog export test" >&2
exit 1
