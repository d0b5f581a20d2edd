import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyParams } from '../../../test/support/properties.ts';
import { alertToCef, CEF_SEVERITY } from '../src/formats/cef.ts';
import { alertToSyslog, SYSLOG_SEVERITY } from '../src/formats/syslog.ts';
import { parseCef, parseSyslog } from './cef-parser.ts';
import { baseAlert, delivery, ORIGIN } from './fixtures.ts';

/** Text an agent could send: CEF's and syslog's special characters, controls, line separators, astral and broken unicode. */
const HOSTILE = ['|', '=', '\\', '\n', '\r', '\r\n', ' ', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u2028', '🦜', 'é', '\ud800', '\udc00', '\\n', '\\='];
const hostile = fc.string({
  unit: fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  minLength: 1,
  maxLength: 60,
});

/** What the receiver should read back: broken surrogates become U+FFFD and controls CEF cannot escape a space. */
const readable = (s: string) =>
  s
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, ' ');
const inHeader = (s: string) => readable(s).replace(/[\r\n]/g, ' ');
const inValue = (s: string) => readable(s).replace(/\r\n/g, '\n');

describe('CEF framing under hostile text', () => {
  it('parses back to the same header fields and extension values', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, hostile, hostile, hostile, (title, summary, agent, owner, rule, tool, chainHop) => {
        const alert = baseAlert({
          title,
          summary,
          agent_id: agent,
          owner,
          rule_id: rule,
          evidence: {
            event_ids: ['e'],
            tool,
            resource: summary,
            action: 'read',
            delegation_chain: [chainHop, agent],
            token_ids: [tool],
            issued_to: `${agent}x`,
          },
        });
        const line = alertToSyslog(alert, delivery({ version: 3, activity: 'updated' }), { ...ORIGIN, hostname: `h ${title}` });
        expect(line).not.toMatch(/[\r\n\u0000]/);
        const sys = parseSyslog(line);
        expect(sys.appName).toBe('agentwatch');
        const { header, ext } = parseCef(sys.msg);
        expect(header).toEqual(['CEF:0', 'agentwatch', 'agentwatch', ORIGIN.productVersion, inHeader(rule), inHeader(title), String(CEF_SEVERITY.medium)]);
        expect(ext.get('suser')).toBe(inValue(agent));
        expect(ext.get('duser')).toBe(inValue(`${agent}x`));
        expect(ext.get('msg')).toBe(inValue(summary));
        expect(ext.get('request')).toBe(inValue(summary));
        expect(ext.get('cs1')).toBe(inValue(`${rule}@1.0.0`));
        expect(ext.get('cs3')).toBe(inValue(`${chainHop} > ${agent}`));
        expect(ext.get('cs4')).toBe(inValue(tool));
        expect(ext.get('cs5')).toBe(`${alert.alert_id}:3`);
        expect(ext.get('cs6')).toBe(inValue(owner));
        expect(ext.get('flexString1')).toBe(inValue(tool));
        expect(ext.get('cn1')).toBe('3');
      }),
      propertyParams(300),
    );
  });

  it('cuts overlong text without splitting an escape or a character', () => {
    const summary = `${'=\\|🦜'.repeat(600)}`;
    const { ext } = parseCef(alertToCef(baseAlert({ summary }), delivery(), ORIGIN));
    const msg = ext.get('msg') ?? '';
    expect(Array.from(msg)).toHaveLength(1023);
    expect(msg.endsWith('…')).toBe(true);
    expect(summary.startsWith(msg.slice(0, -1))).toBe(true);
  });
});

describe('CEF and syslog mapping', () => {
  it('maps severity to CEF 0-10 and RFC 5424 PRI (facility 4), carries alert id + version', () => {
    for (const severity of ['info', 'low', 'medium', 'high', 'critical'] as const) {
      const line = alertToSyslog(baseAlert({ severity }), delivery({ version: 7 }), ORIGIN);
      const sys = parseSyslog(line);
      expect(sys.pri).toBe(4 * 8 + SYSLOG_SEVERITY[severity]);
      expect(sys).toMatchObject({ version: '1', timestamp: '2026-10-16T08:03:16.000Z', hostname: ORIGIN.hostname, msgId: 'alert', structuredData: '-' });
      const { header, ext } = parseCef(sys.msg);
      expect(Number(header[6])).toBe(CEF_SEVERITY[severity]);
      expect(ext.get('externalId')).toBe(baseAlert().alert_id);
      expect(ext.get('cs5')).toBe(`${baseAlert().alert_id}:7`);
      expect(ext.get('cs5Label')).toBe('alertIdVersion');
    }
    expect([...new Set(Object.values(CEF_SEVERITY))].every((n) => n >= 0 && n <= 10)).toBe(true);
  });

  it('escapes exactly as the CEF rules say', () => {
    const cef = alertToCef(baseAlert({ title: 'a|b\\c', summary: 'x=y\\z\nw' }), delivery(), ORIGIN);
    expect(cef).toContain('|a\\|b\\\\c|');
    expect(cef).toContain('msg=x\\=y\\\\z\\nw ');
  });
});
