import type { Alert, Severity } from '@agentwatch/schemas';
import { checkDelivery, type Delivery, deliveryId, epochMs, type Origin } from './delivery.ts';
import { evidenceFields } from './evidence-fields.ts';

/**
 * ArcSight CEF (Common Event Format, revision 25) for one alert version:
 * `CEF:0|agentwatch|agentwatch|<version>|<rule_id>|<title>|<0-10>|<extensions>`. Text from agents is hostile, so every
 * field is escaped as the CEF rules say and the line can never contain a raw newline (syslog frames on it).
 */

/** CEF severity 0-10 (ArcSight reads 0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High). */
export const CEF_SEVERITY: Record<Severity, number> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };

/**
 * Longest value (in code points) each extension key gets, from the CEF key table; longer text is cut with "…"
 * before escaping so an escape sequence is never split. Header fields get HEADER_MAX.
 */
const LIMITS: Record<string, number> = { msg: 1023, request: 1023, act: 63, suser: 1023, duser: 1023, externalId: 40 };
const CUSTOM_MAX = 4000;
const HEADER_MAX = 512;

/** Control characters CEF has no escape for (all C0 and C1 except \n and \r, and DEL): they become a space. */
const UNESCAPABLE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** A lone surrogate is no character: it becomes U+FFFD so the line is valid UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clip(s: string, max: number): string {
  const cps = Array.from(s.replace(LONE_SURROGATE, '\uFFFD'));
  return cps.length <= max ? cps.join('') : `${cps.slice(0, max - 1).join('')}…`;
}

/** Header field: backslash and pipe escaped; CEF allows no line break there, so CR and LF become spaces too. */
export function escapeCefHeader(s: string, max = HEADER_MAX): string {
  return clip(s, max)
    .replace(UNESCAPABLE, ' ')
    .replace(/[\r\n]/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|');
}

/** Extension value: backslash, equals sign and line breaks escaped (`\\`, `\=`, `\n`, `\r`). */
export function escapeCefValue(s: string, max = CUSTOM_MAX): string {
  return clip(s, max)
    .replace(UNESCAPABLE, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/** The extension keys, in output order, each with its label for the custom ones (README "Export" documents them). */
export type CefExtensions = [key: string, value: string | number][];

/** The documented mapping of an alert version to CEF extensions (custom strings carry their labels). */
export function cefExtensions(alert: Alert, delivery: Delivery): CefExtensions {
  const ev = evidenceFields(alert);
  const ext: CefExtensions = [
    ['rt', epochMs(delivery.time)],
    ['start', epochMs(alert.first_seen)],
    ['end', epochMs(alert.last_seen)],
    ['cnt', alert.count],
    ['suser', alert.agent_id],
  ];
  if (ev.otherAgent) ext.push(['duser', ev.otherAgent]);
  if (ev.action) ext.push(['act', ev.action]);
  if (ev.resource) ext.push(['request', ev.resource]);
  ext.push(['msg', alert.summary], ['externalId', alert.alert_id]);
  const custom: [label: string, value: string][] = [
    ['rule', `${alert.rule_id}@${alert.rule_version}`],
    ['category', alert.category],
    ['delegationChain', ev.delegationChain.join(' > ')],
    ['token', ev.tokenIds.join(',')],
    ['alertIdVersion', deliveryId(alert.alert_id, delivery.version)],
    ['owner', alert.owner ?? ''],
  ];
  custom.forEach(([label, value], i) => {
    if (value) ext.push([`cs${i + 1}`, value], [`cs${i + 1}Label`, label]);
  });
  ext.push(['cn1', delivery.version], ['cn1Label', 'alertVersion'], ['cn2', alert.risk_score], ['cn2Label', 'riskScore']);
  if (ev.tool) ext.push(['flexString1', ev.tool], ['flexString1Label', 'tool']);
  ext.push(['flexString2', alert.status], ['flexString2Label', 'status']);
  return ext;
}

/** One alert version as a CEF line (no trailing newline). */
export function alertToCef(alert: Alert, delivery: Delivery, origin: Origin): string {
  checkDelivery(delivery);
  const head = ['CEF:0', 'agentwatch', 'agentwatch', origin.productVersion, alert.rule_id, alert.title, String(CEF_SEVERITY[alert.severity])];
  const ext = cefExtensions(alert, delivery)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : escapeCefValue(v, LIMITS[k] ?? CUSTOM_MAX)}`)
    .join(' ');
  return `${head.map((h, i) => (i === 0 ? h : escapeCefHeader(h))).join('|')}|${ext}`;
}
