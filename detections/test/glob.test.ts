import { describe, expect, it } from 'vitest';
import { GlobSyntaxError, globToRegExp, PatternSet } from '../src/registry/glob.ts';

describe('registry globs', () => {
  const tools = new PatternSet(['erp.invoice.read', 'erp.po.*', 'crm.**', 'a*c.x'], 'tool');
  it.each([
    ['erp.invoice.read', true],
    ['erp.invoice.write', false],
    ['erp.po.approve', true],
    ['erp.po.', true],
    ['erp.po', false],
    ['erp.po.line.delete', false],
    ['crm.contacts', true],
    ['crm.contacts.export.all', true],
    ['crm', false],
    ['abc.x', true],
    ['ac.x', true],
    ['a.c.x', false],
    ['ERP.invoice.read', false],
  ])('tool %s -> %s', (tool, expected) => expect(tools.matches(tool)).toBe(expected));

  const resources = new PatternSet(['erp://invoices/**', 'erp://po/*', 's3://bucket-*/reports/*.csv'], 'resource');
  it.each([
    ['erp://invoices/2026-118', true],
    ['erp://invoices/2026/11/118', true],
    ['erp://invoices', false],
    ['erp://po/7', true],
    ['erp://po/7/lines', false],
    ['erp://payroll/1', false],
    ['s3://bucket-eu/reports/q3.csv', true],
    ['s3://bucket-eu/reports/2026/q3.csv', false],
    ['s3://bucket/eu/reports/q3.csv', false],
  ])('resource %s -> %s', (r, expected) => expect(resources.matches(r)).toBe(expected));

  it('treats regex metacharacters literally', () => {
    const p = new PatternSet(['a+b.(c)', 'x?y'], 'tool');
    expect(p.matches('a+b.(c)')).toBe(true);
    expect(p.matches('aab.(c)')).toBe(false);
    expect(p.matches('xxy')).toBe(false);
    expect(new PatternSet(['x[1]/*'], 'resource').matches('x[1]/y')).toBe(true);
  });

  it('rejects *** with a message naming the pattern', () => {
    expect(() => globToRegExp('a.***', 'tool')).toThrow(GlobSyntaxError);
    expect(() => globToRegExp('a.***', 'tool')).toThrow(/"a\.\*\*\*"/);
  });

  it('an empty list allows nothing', () => {
    expect(new PatternSet([], 'tool').matches('anything')).toBe(false);
  });

  it('answers consistently past the cache bound', () => {
    const p = new PatternSet(['t.*'], 'tool');
    for (let i = 0; i < 10_000; i++) expect(p.matches(`t.${i}`)).toBe(true);
    expect(p.matches('u.1')).toBe(false);
  });
});
