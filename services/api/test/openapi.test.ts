import type { Store } from '@agentwatch/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createMemoryTokenStore, ROUTE_ROLES } from '../src/index.ts';
import { buildOpenApiDocument, openApiPath, UndocumentedRouteError } from '../src/openapi.ts';
import { ROUTE_SCHEMAS } from '../src/route-schemas.ts';

type Operation = { security: unknown[]; responses: Record<string, unknown>; parameters?: Array<{ in: string; name: string }>; requestBody?: unknown };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

let app: FastifyInstance;
let doc: Document;

beforeAll(async () => {
  // No route but /openapi.json is called: a store is not needed.
  app = buildServer({
    store: { database: 'unused' } as Store,
    ingest: async () => ({ accepted: 0, rejected: [] }),
    tokens: createMemoryTokenStore(),
    ready: async () => true,
  });
  await app.ready();
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(r.statusCode).toBe(200);
  doc = r.json() as Document;
});

afterAll(async () => {
  await app?.close();
});

/**
 * fastify's own list of routes, read from `printRoutes` (a tree: each line one path segment, nested by indentation,
 * methods in parentheses), so the comparison does not rely on the server's own bookkeeping.
 */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: Array<{ depth: number; path: string }> = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length;
    while (stack.length && (stack[stack.length - 1] as { depth: number }).depth >= depth) stack.pop();
    const segment = m[2] as string;
    const parent = stack[stack.length - 1]?.path ?? '';
    const path = parent + (segment.startsWith('/') || parent.endsWith('/') ? segment : `/${segment}`);
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method && method !== 'HEAD') out.push(`${method} ${openApiPath(path)}`);
  }
  return out.sort();
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with a bearer security scheme, served without a token', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes['bearer']).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('documents every route fastify registered, and no other', () => {
    const registered = registeredRoutes(app.printRoutes({ commonPrefix: false }));
    expect(registered.length).toBeGreaterThanOrEqual(Object.keys(ROUTE_SCHEMAS).length);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('a route without a schema fails the document, naming the route', () => {
    expect(() => buildOpenApiDocument([{ method: 'GET', url: '/v1/new-thing' }], '1.1')).toThrow(UndocumentedRouteError);
    expect(() => buildOpenApiDocument([{ method: 'GET', url: '/v1/new-thing' }], '1.1')).toThrow(/GET \/v1\/new-thing/);
  });

  it('routes needing a role declare bearer security and 401/403; health routes need none', () => {
    for (const key of Object.keys(ROUTE_ROLES)) {
      const [method, url] = key.split(' ') as [string, string];
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op, key).toBeDefined();
      expect(op?.security, key).toEqual([{ bearer: [] }]);
      expect(Object.keys(op?.responses ?? {}), key).toEqual(expect.arrayContaining(['401', '403']));
    }
    for (const path of ['/healthz', '/readyz', '/openapi.json']) expect(doc.paths[path]?.['get']?.security).toEqual([]);
  });

  it('shows the request schemas the routes validate with: query, path and body', () => {
    const alerts = doc.paths['/v1/alerts']?.['get'];
    expect(alerts?.parameters?.map((p) => p.name)).toEqual([
      'since',
      'until',
      'severity',
      'category',
      'rule_id',
      'agent_id',
      'status',
      'owner',
      'assignee',
      'tag',
      'q',
      'sort',
      'limit',
      'cursor',
      'incident_id',
      'format',
    ]);
    expect(doc.paths['/v1/agents/{agent_id}']?.['get']?.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'agent_id' })]);
    const status = doc.paths['/v1/alerts/{alert_id}/status']?.['post'];
    expect(status?.requestBody).toMatchObject({ content: { 'application/json': { schema: { properties: { status: { enum: expect.any(Array) } } } } } });
    expect(Object.keys(status?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '404', '413', '415']));
    const events = doc.paths['/v1/events']?.['post']?.requestBody as { content: object } | undefined;
    expect(Object.keys(events?.content ?? {})).toEqual(['application/x-ndjson', 'application/json']);
  });

  it('every error answer has the {"error": {code, message, details}} shape', () => {
    const errorSchema = (doc.components as unknown as { schemas: Record<string, unknown> }).schemas['Error'];
    expect(errorSchema).toMatchObject({ properties: { error: { required: ['code', 'message', 'details'] } } });
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === '/v1/traces') continue;
          expect(JSON.stringify(response), `${method} ${path} ${status}`).toMatch(/#\/components\/schemas\/Error|"error"/);
        }
  });
});
