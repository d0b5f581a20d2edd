/**
 * The console end to end (issue 14, "Done means"): a real `agentwatch up` (embedded store, HTTP ingest) fed a
 * simulated fleet plus a few crafted events, driven in Debian's chromium by playwright-core. It walks the analyst's
 * story: sign in, filter the queue, open an alert (evidence timeline, delegation chain), triage it with the
 * keyboard and see it leave the queue, bulk-resolve two, open an incident, create a suppression and see the next
 * matching alert arrive suppressed, create a viewer token and see the viewer unable to triage. Every page gets a
 * screenshot in test-results/console/ and an axe-core check (no serious or critical violation).
 *
 * Steps share one browser page in order; each starts from a URL so a failing step names itself.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { recentStart } from '../../../test/support/recent-start.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { killAll, postEvents, ROOT, spawnLocalUp, type UpProcess, waitFor } from '../../../test/support/up-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = join(ROOT, 'test-results', 'console');
const TOKEN = 'aw_e2e_console_bootstrap_0123456789abcdef';
const GHOST = 'spiffe://e2e.example/agents/ghost';
/** How long the UI may take to show what the API did (live refresh polls every few seconds; the machine is shared). */
const UI_MS = 30_000;

const dir = tempDir('aw-console-e2e-');
const auth = { Authorization: `Bearer ${TOKEN}` };
let up: UpProcess;
let base = '';
let browser: Browser;
let page: Page;
let registered: { id: string; owner: string; tools: string[] };
const pageErrors: string[] = [];
let shotNo = 0;

const apiGet = async <T>(path: string, token = TOKEN): Promise<T> => {
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
};

/** A tool call by an unregistered "ghost" agent, delegated by a registered agent on its owner's behalf. */
function ghostCall(n: number, at: number): string {
  const agent = `${GHOST}-${n}`;
  const event: CanonicalEvent = {
    kind: 'tool_call',
    event_id: `e2e-ghost-${n}-${at}`,
    time: new Date(at).toISOString(),
    agent_id: agent,
    tool: 'crm.export',
    resource: 'crm://accounts/all',
    outcome: 'success',
    on_behalf_of: registered.owner,
    delegation_chain: [registered.id, agent],
  } as CanonicalEvent;
  return JSON.stringify(event);
}

async function shot(name: string): Promise<void> {
  shotNo += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page (evaluated over the DevTools protocol, which the console's CSP does not govern). */
async function expectAccessible(name: string): Promise<void> {
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE} }`);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))`)) as Array<{
    id: string;
    impact: string | null;
    help: string;
    targets: string[];
  }>;
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: axe-core serious/critical violations\n${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

async function signIn(token: string): Promise<void> {
  await page.goto(`${base}/alerts`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=role]', { timeout: UI_MS });
}

async function openQueue(query: string): Promise<void> {
  await page.goto(`${base}/alerts${query}`);
  await page.waitForSelector('[data-testid=alert-row], [data-testid=queue-empty]', { timeout: UI_MS });
}

const rowIds = (): Promise<string[]> => page.$$eval('[data-testid=alert-row]', (rows) => rows.map((r) => r.getAttribute('data-alert-id') ?? ''));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await simulateFleet({ agents: 8, days: 7, seed: 14, outDir: dir, start: recentStart(7) });
  const reg = parse(readFileSync(join(dir, 'registry.yaml'), 'utf8')) as {
    people: Array<{ id: string; status: string }>;
    agents: Array<{ id: string; owner: string; status: string; scope?: { tools?: string[] } }>;
  };
  const active = new Set(reg.people.filter((p) => p.status === 'active').map((p) => p.id));
  const agent = reg.agents.find((a) => a.status === 'active' && active.has(a.owner)) ?? reg.agents[0];
  if (!agent) throw new Error('the simulated registry has no agent');
  registered = { id: agent.id, owner: agent.owner, tools: agent.scope?.tools ?? [] };

  up = spawnLocalUp(dir, TOKEN);
  base = await up.base;
  await waitFor('readiness', async () => ((await fetch(`${base}/readyz`)).ok ? true : null), 120_000, up.stderr);
  const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
  const now = Date.now();
  await postEvents(base, auth, [...lines, ghostCall(1, now - 120_000), ghostCall(3, now - 90_000), ghostCall(4, now - 80_000)]);
  await waitFor(
    'the ghost alert',
    async () => {
      const r = await apiGet<{ alerts: unknown[] }>(`/v1/alerts?agent_id=${encodeURIComponent(`${GHOST}-1`)}`);
      return r.alerts.length > 0 ? true : null;
    },
    120_000,
    up.stderr,
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) pageErrors.push(`csp: ${m.text()}`);
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (up) await killAll([up]);
  writeFileSync(join(SHOTS, 'page-errors.txt'), pageErrors.join('\n'));
});

describe('the analyst console in chromium', () => {
  it('serves the console at / with its CSP and no token; the sign-in page is accessible', async () => {
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    await page.goto(`${base}/`);
    await page.waitForSelector('#token');
    await shot('sign-in');
    await expectAccessible('sign-in');
  });

  it('signs in with a token kept in sessionStorage, never in the URL, and shows the role', async () => {
    await signIn(TOKEN);
    expect(await page.textContent('[data-testid=role]')).toBe('admin');
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(TOKEN);
    expect(await page.evaluate(() => Object.values(localStorage))).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).not.toContain(TOKEN);
  });

  it('filters the queue; the filters live in the URL and survive a reload', async () => {
    await openQueue('');
    await shot('queue');
    await expectAccessible('queue');
    await page.selectOption('#f-severity', 'high');
    await page.fill('#f-q', 'unregistered');
    await page.click('button:has-text("Apply filters")');
    await page.waitForURL(/severity=high/, { timeout: UI_MS });
    expect(page.url()).toContain('q=unregistered');
    expect(page.url()).not.toContain(TOKEN);
    await page.waitForSelector('[data-testid=alert-row]', { timeout: UI_MS });
    const severities = await page.$$eval('[data-testid=alert-row] .badge[class*=sev-]', (b) => b.map((x) => x.textContent));
    expect(severities.length).toBeGreaterThan(0);
    for (const s of severities) expect(['high', 'critical']).toContain(s);
    const titles = await page.$$eval('[data-testid=alert-row] td:nth-child(3) a', (a) => a.map((x) => x.textContent ?? ''));
    for (const t of titles) expect(t.toLowerCase()).toContain('unregistered');
    await page.reload();
    await page.waitForSelector('[data-testid=alert-row]', { timeout: UI_MS });
    expect(await page.inputValue('#f-severity')).toBe('high');
    expect(await page.inputValue('#f-q')).toBe('unregistered');
    await shot('queue-filtered');
  });

  it('opens an alert with the keyboard and shows its evidence timeline and delegation chain', async () => {
    await openQueue(`?agent_id=${encodeURIComponent(`${GHOST}-1`)}`);
    await page.keyboard.press('j');
    await page.waitForSelector('tr.cursor:focus', { timeout: UI_MS });
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/alerts\/[^/?]+$/, { timeout: UI_MS });
    await page.waitForSelector('[data-testid=alert-detail], [role=alert]', { timeout: UI_MS });
    await shot('alert-detail');
    await expectAccessible('alert detail');
    expect(await page.textContent('h1')).toContain('ghost-1');
    expect(await page.$$eval('[data-testid=timeline-event]', (li) => li.length)).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=evidence-timeline]')).toContain('crm.export');
    const links = await page.$$eval('[data-testid=chain-link]', (li) => li.map((l) => ({ text: l.textContent ?? '', cls: l.className })));
    expect(links.map((l) => l.text).join(' ')).toContain(registered.owner);
    expect(links.map((l) => l.text).join(' ')).toContain(registered.id);
    expect(links.at(-1)?.text).toContain(`${GHOST}-1`);
    // The acting ghost is not in the registry, and the path says so (the API's chain carries `registered`).
    expect(links.at(-1)?.cls).toContain('unregistered');
  });

  it('triages with the keyboard: ? shows the keys, r resolves the focused alert and it leaves the queue', async () => {
    await openQueue(`?agent_id=${encodeURIComponent(`${GHOST}-1`)}`);
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=keys-help]', { state: 'visible' });
    await shot('queue-keys-help');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=keys-help]', { state: 'detached' });
    const [id] = await rowIds();
    expect(id).toBeDefined();
    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.waitForSelector(`[data-alert-id="${id}"]`, { state: 'detached', timeout: UI_MS });
    expect(await page.textContent('[data-testid=notice]')).toContain('Resolved');
    const after = await apiGet<{ alert: { status: string } }>(`/v1/alerts/${encodeURIComponent(id as string)}`);
    expect(after.alert.status).toBe('resolved');
  });

  it('bulk-resolves two selected alerts', async () => {
    await openQueue('');
    const ids = (await rowIds()).slice(0, 2);
    expect(ids).toHaveLength(2);
    for (const id of ids) await page.check(`[data-alert-id="${id}"] input[type=checkbox]`);
    await page.waitForSelector('[data-testid=bulk-bar]');
    await shot('queue-bulk-selected');
    await page.click('button:has-text("Resolve selected")');
    for (const id of ids) await page.waitForSelector(`[data-alert-id="${id}"]`, { state: 'detached', timeout: UI_MS });
    for (const id of ids) expect((await apiGet<{ alert: { status: string } }>(`/v1/alerts/${encodeURIComponent(id)}`)).alert.status).toBe('resolved');
  });

  it('refreshes the queue live: a new alert appears without a reload, the selection and the focus are kept', async () => {
    await openQueue('');
    const [first] = await rowIds();
    await page.check(`[data-alert-id="${first}"] input[type=checkbox]`);
    await page.focus(`tr[data-alert-id="${first}"]`);
    await postEvents(base, auth, [ghostCall(5, Date.now())]);
    await page.waitForSelector(`[data-testid=alert-row]:has-text("ghost-5")`, { timeout: UI_MS });
    expect(await page.isChecked(`[data-alert-id="${first}"] input[type=checkbox]`)).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-alert-id'))).toBe(first);
    await page.click('button:has-text("Clear selection")');
  });

  it('opens an incident and shows the timeline of its alerts', async () => {
    await page.goto(`${base}/incidents?sort=-risk_score`);
    await page.waitForSelector('h1');
    await page.waitForSelector('[data-testid=incidents] tbody tr, [role=alert]', { timeout: UI_MS });
    await shot('incidents');
    await expectAccessible('incidents');
    await page.waitForSelector('[data-testid=incidents] tbody tr', { timeout: UI_MS });
    await page.click('[data-testid=incidents] tbody tr:first-child a');
    await page.waitForSelector('[data-testid=incident-timeline] li', { timeout: UI_MS });
    expect(await page.textContent('.risk')).toMatch(/Risk \d+\/100/);
    await shot('incident');
    await expectAccessible('incident');
  });

  it('shows an agent: registry entry, owner status, 30-day hourly chart, alerts, tokens seen', async () => {
    await page.goto(`${base}/agents/${encodeURIComponent(registered.id)}`);
    await page.waitForSelector('[data-testid=agent-page]', { timeout: UI_MS });
    await shot('agent');
    await expectAccessible('agent');
    expect(await page.textContent('[data-testid=agent-page]')).toContain(registered.owner);
    // The declared scope as a table, each declared tool pattern shown (not the entry as raw JSON).
    const scope = (await page.textContent('[data-testid=declared-scope]')) ?? '';
    expect(registered.tools.length).toBeGreaterThan(0);
    for (const tool of registered.tools) expect(scope).toContain(tool);
    expect(scope).not.toContain('{');
    await page.waitForSelector('[data-testid=hourly-chart] canvas', { timeout: UI_MS });
  });

  it('creates a suppression; the next matching alert arrives suppressed', async () => {
    await page.goto(`${base}/suppressions`);
    await page.waitForSelector('#new-sup-rule_id', { timeout: UI_MS });
    await shot('suppressions');
    await expectAccessible('suppressions');
    await page.fill('#new-sup-rule_id', 'registry.unregistered_agent');
    await page.fill('#new-sup-agent_id', `${GHOST}-*`);
    await page.fill('#new-sup-reason', 'e2e: the ghost fleet is a known load test');
    await page.click('button:has-text("Create suppression")');
    await page.waitForSelector('[data-testid=suppressions] tbody tr', { timeout: UI_MS });
    await postEvents(base, auth, [ghostCall(2, Date.now())]);
    await openQueue(`?agent_id=${encodeURIComponent(`${GHOST}-2`)}&status=suppressed`);
    await page.waitForSelector('[data-testid=alert-row] .st-suppressed', { timeout: UI_MS });
    // A first-ever event: the detail says there is no history to compare with, not a chart of zeros.
    const ghostAlert = await page.getAttribute('[data-testid=alert-row]', 'data-alert-id');
    await page.goto(`${base}/alerts/${encodeURIComponent(ghostAlert as string)}`);
    await page.waitForSelector('[data-testid=baseline-none]', { timeout: UI_MS });
    await page.goto(`${base}/suppressions`);
    await page.waitForSelector('[data-testid=suppressions] [data-testid=hits]', { timeout: UI_MS });
    await waitFor('a hit on the suppression', async () => ((await page.textContent('[data-testid=hits]'))?.trim() === '1' ? true : null), UI_MS);
    await shot('suppressions-hit');
  });

  it('shows the registry in force, its versions, and the errors of a pasted candidate', async () => {
    await page.goto(`${base}/registry`);
    await page.waitForSelector('#candidate', { timeout: UI_MS });
    await shot('registry');
    await expectAccessible('registry');
    await page.waitForSelector('[data-testid=registry-version]', { timeout: UI_MS });
    await page.waitForSelector('[data-testid=registry-versions] tbody tr', { timeout: UI_MS });
    await page.fill('#candidate', 'agents:\n  - id: spiffe://x/agents/a\n    name: a\n');
    await page.click('button:has-text("Validate")');
    await page.waitForSelector('[data-testid=validation-result]', { timeout: UI_MS });
    expect(await page.textContent('[data-testid=validation-result]')).toContain('Not valid');
    await shot('registry-validated');
  });

  it('creates a viewer token (secret shown once); the viewer signs in and cannot triage', async () => {
    await page.goto(`${base}/tokens`);
    await page.waitForSelector('#tok-name', { timeout: UI_MS });
    await shot('tokens');
    await expectAccessible('tokens');
    await page.fill('#tok-name', 'e2e viewer');
    await page.selectOption('#tok-role', 'viewer');
    await page.click('button:has-text("Create token")');
    await page.waitForSelector('[data-testid=new-token-secret]', { timeout: UI_MS });
    const secret = await page.inputValue('[data-testid=new-token-secret]');
    expect(secret.length).toBeGreaterThan(10);
    await shot('tokens-created');

    await page.click('button:has-text("Sign out")');
    await page.waitForSelector('#token');
    await signIn(secret);
    expect(await page.textContent('[data-testid=role]')).toBe('viewer');
    expect(await page.$('nav a[href="/tokens"]')).toBeNull();
    await openQueue('');
    const [id] = await rowIds();
    expect(id).toBeDefined();
    expect(await page.$('[data-testid=alert-row] input[type=checkbox]')).toBeNull();
    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.keyboard.press('a');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rowIds()).toContain(id);
    expect((await apiGet<{ alert: { status: string } }>(`/v1/alerts/${encodeURIComponent(id as string)}`)).alert.status).not.toBe('resolved');
    await shot('viewer-queue');
    await page.goto(`${base}/alerts/${encodeURIComponent(id as string)}`);
    await page.waitForSelector('[data-testid=alert-detail]', { timeout: UI_MS });
    expect(await page.$('text=Mark resolved')).toBeNull();
    expect(await page.$('#comment')).toBeNull();
    await shot('viewer-alert-detail');
  });

  it('loaded nothing the CSP refused and threw no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
