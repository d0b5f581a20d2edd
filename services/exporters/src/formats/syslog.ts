import type { Alert, Severity } from '@agentwatch/schemas';
import { alertToCef } from './cef.ts';
import { checkDelivery, type Delivery, type Origin } from './delivery.ts';

/**
 * RFC 5424 syslog line carrying a CEF message, for the syslog exporter (TCP with octet counting or newline framing,
 * UDP, TLS: the transport frames it). `<PRI>1 TIMESTAMP HOSTNAME agentwatch - MSGID - CEF:0|...`.
 */

/** Facility 4, security/authorization messages (RFC 5424 table 1). */
export const SYSLOG_FACILITY = 4;
/** RFC 5424 severity per alert severity: critical 2 Critical, high 3 Error, medium 4 Warning, low 5 Notice, info 6 Informational. */
export const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };
export const SYSLOG_APP_NAME = 'agentwatch';
/** MSGID: what the message is, so a receiver can route without parsing CEF. */
export const SYSLOG_MSGID = 'alert';

/** HOSTNAME: printable US-ASCII without spaces, at most 255 (RFC 5424 6.2.4); anything else becomes "-" (NILVALUE). */
export function syslogHostname(h: string): string {
  const clean = h.replace(/[^\x21-\x7e]/g, '');
  return clean.length > 0 ? clean.slice(0, 255) : '-';
}

/** One alert version as an RFC 5424 line (no trailing newline; the transport frames it). */
export function alertToSyslog(alert: Alert, delivery: Delivery, origin: Origin): string {
  checkDelivery(delivery);
  const pri = SYSLOG_FACILITY * 8 + SYSLOG_SEVERITY[alert.severity];
  const timestamp = new Date(delivery.time).toISOString();
  return `<${pri}>1 ${timestamp} ${syslogHostname(origin.hostname)} ${SYSLOG_APP_NAME} - ${SYSLOG_MSGID} - ${alertToCef(alert, delivery, origin)}`;
}
