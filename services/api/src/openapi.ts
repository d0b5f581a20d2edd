import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { PARAM_NAMES } from './request-schemas.ts';
import { ErrorBody, type RouteSchema } from './route-schemas.ts';

/** A registered route as the server's onRoute hook saw it. */
export interface DocumentedRoute {
  method: string;
  url: string;
  schema?: RouteSchema | undefined;
  /** Set when the route needs a token (ServerOptions' `minRole`). */
  minRole?: string | undefined;
}

/** A route without a `schema` option: the document cannot describe it (a test fails on any). */
export class UndocumentedRouteError extends Error {
  constructor(readonly routes: string[]) {
    super(`routes without a schema, missing from /openapi.json: ${routes.join(', ')}`);
    this.name = 'UndocumentedRouteError';
  }
}

/** fastify's `/v1/alerts/:alert_id` and `/v1/agents/*` as OpenAPI paths. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, `{${PARAM_NAMES['*']}}`);
}

/** Renames fastify's parameter keys (`*`) to the document's (`agent_id`); other schemas are kept as they are. */
function documentedParams(params: z.ZodType): z.ZodType {
  if (!(params instanceof z.ZodObject)) return params;
  const shape = params.shape as Record<string, z.ZodType>;
  return z.object(Object.fromEntries(Object.entries(shape).map(([k, v]) => [PARAM_NAMES[k] ?? k, v])));
}

const UNAUTHORIZED = { description: 'missing, unknown or revoked token (WWW-Authenticate: Bearer)', content: { 'application/json': { schema: ErrorBody } } };
const FORBIDDEN = { description: "the token's role is too weak for this route", content: { 'application/json': { schema: ErrorBody } } };

/**
 * The OpenAPI 3.1 document of the given routes (HEAD routes, which fastify adds for every GET, are left out).
 * Throws UndocumentedRouteError when a route has no schema.
 */
export function buildOpenApiDocument(routes: readonly DocumentedRoute[], version: string): Record<string, unknown> {
  const shown = routes.filter((r) => r.method !== 'HEAD');
  const missing = shown.filter((r) => !r.schema).map((r) => `${r.method} ${r.url}`);
  if (missing.length) throw new UndocumentedRouteError(missing);
  const paths: ZodOpenApiPathsObject = {};
  for (const r of shown) {
    const s = r.schema as RouteSchema;
    const requestParams: NonNullable<ZodOpenApiOperationObject['requestParams']> = {};
    if (s.params) requestParams.path = documentedParams(s.params) as never;
    if (s.querystring) requestParams.query = s.querystring as never;
    const operation: ZodOpenApiOperationObject = {
      summary: s.summary,
      operationId: `${r.method.toLowerCase()} ${r.url}`,
      // A route may answer 401/403 in its own shape (OTLP's google.rpc.Status): its own entries win.
      responses: { ...(r.minRole ? { '401': UNAUTHORIZED, '403': FORBIDDEN } : {}), ...s.responses },
      security: r.minRole ? [{ bearer: [] }] : [],
      ...(Object.keys(requestParams).length ? { requestParams } : {}),
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
      ...(s.requestBody ? { requestBody: s.requestBody } : {}),
    };
    if (r.minRole) operation.description = `Needs a token of role ${r.minRole} or above.`;
    const path = openApiPath(r.url);
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'agentwatch API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  }) as unknown as Record<string, unknown>;
}
