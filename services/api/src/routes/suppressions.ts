import { compileMatchGlobs, SuppressionGlobError } from '@agentwatch/detections';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { ROUTE_ROLES } from '../route-roles.ts';
import { ROUTE_SCHEMAS } from '../route-schemas.ts';
import type { RouteContext } from './route-context.ts';
import type { CreateSuppressionBody } from './suppression-schemas.ts';

/** Default of the config key `suppression_max_days`: how far ahead a suppression may expire. */
export const DEFAULT_SUPPRESSION_MAX_DAYS = 90;
const DAY_MS = 86_400_000;

/** ServerOptions' `suppressions`: the API's part of alerts.md "Suppressions". */
export interface SuppressionRouteOptions {
  /** `suppression_max_days` (default {@link DEFAULT_SUPPRESSION_MAX_DAYS}). */
  maxDays?: number;
  /**
   * Called after a suppression was created or deleted (awaited before the answer): the caller hands the store's
   * suppressions in force to its detection engines, so the next alert emitted is judged with them.
   */
  changed?: () => Promise<void>;
}

const badBody = (path: string, message: string): ApiError => new ApiError(400, 'invalid_body', `${path}: ${message}`, [{ path, message }]);

/**
 * GET /v1/suppressions (viewer), POST /v1/suppressions (engineer), DELETE /v1/suppressions/{id} (engineer). The author
 * is the token's principal; `reason` and a future `expires_at`, at most `suppression_max_days` ahead, are required.
 */
export function registerSuppressionRoutes(app: FastifyInstance, { store, options }: RouteContext): void {
  const maxDays = options.suppressions?.maxDays ?? DEFAULT_SUPPRESSION_MAX_DAYS;
  const changed = options.suppressions?.changed ?? (async () => undefined);

  app.get<{ Querystring: { include_expired?: 'true' | 'false' } }>(
    '/v1/suppressions',
    { schema: ROUTE_SCHEMAS['GET /v1/suppressions'], config: { minRole: ROUTE_ROLES['GET /v1/suppressions'] } },
    async (req) => ({ suppressions: await store.suppressions.list({ includeExpired: req.query.include_expired === 'true', nowMs: Date.now() }) }),
  );

  app.post<{ Body: CreateSuppressionBody }>(
    '/v1/suppressions',
    { schema: ROUTE_SCHEMAS['POST /v1/suppressions'], config: { minRole: ROUTE_ROLES['POST /v1/suppressions'] } },
    async (req, reply) => {
      const { match, reason, expires_at } = req.body;
      try {
        compileMatchGlobs(match);
      } catch (e) {
        if (e instanceof SuppressionGlobError) throw badBody(e.field, e.message.slice(e.field.length + 2));
        throw e;
      }
      const nowMs = Date.now();
      const expiresAtMs = Date.parse(expires_at);
      if (expiresAtMs <= nowMs) throw badBody('expires_at', `must be in the future, got ${expires_at}`);
      if (expiresAtMs > nowMs + maxDays * DAY_MS)
        throw badBody('expires_at', `at most ${maxDays} days ahead (suppression_max_days), i.e. not after ${new Date(nowMs + maxDays * DAY_MS).toISOString()}`);
      const suppression = await store.suppressions.create({ match, reason, expiresAtMs, author: req.principal?.actor ?? 'unknown' }, nowMs);
      await changed();
      req.log.info({ suppression_id: suppression.id, match, author: suppression.author }, 'suppression created');
      return reply.code(201).send({ suppression });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/suppressions/:id',
    { schema: ROUTE_SCHEMAS['DELETE /v1/suppressions/:id'], config: { minRole: ROUTE_ROLES['DELETE /v1/suppressions/:id'] } },
    async (req) => {
      const suppression = await store.suppressions.remove(req.params.id, Date.now());
      if (!suppression) throw new ApiError(404, 'not_found', `no suppression ${JSON.stringify(req.params.id)}`, [{ parameter: 'id' }]);
      await changed();
      req.log.info({ suppression_id: suppression.id, by: req.principal?.actor }, 'suppression deleted');
      return { suppression };
    },
  );
}
