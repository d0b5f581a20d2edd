import { parseRegistry } from '@agentwatch/detections';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { ROUTE_ROLES } from '../route-roles.ts';
import { ROUTE_SCHEMAS } from '../route-schemas.ts';
import { isExpired, type TokenInfo } from '../tokens.ts';
import { REGISTRY_CONTENT_TYPES, REGISTRY_VALIDATE_BODY_LIMIT, type RegistryVersionsQuery, type TokenCreateBody } from './admin-schemas.ts';
import type { RouteContext } from './route-context.ts';

/** What `file` the loader is told for a candidate (its problems name no file in the answer). */
const CANDIDATE = 'request body';

const tokenView = (t: TokenInfo, nowMs: number) => ({
  token_id: t.token_id,
  name: t.name,
  role: t.role,
  created_at: t.created_at,
  expires_at: t.expires_at,
  revoked_at: t.revoked_at,
  created_by: t.created_by,
  expired: isExpired(t, nowMs),
});

/** 404 for a token id not in the table; the bootstrap token never is (it lives in the environment, not the store). */
const noToken = (id: string): ApiError =>
  new ApiError(
    404,
    'not_found',
    `no token ${JSON.stringify(id)} (GET /v1/tokens lists them). The bootstrap token (AGENTWATCH_BOOTSTRAP_TOKEN) is not in the token table and cannot be revoked through the API: unset it and restart agentwatch up`,
    [{ parameter: 'token_id' }],
  );

/** Tokens (admin), the caller's session (any token) and the registry in force, its versions and validation (api.md 1.1). */
export function registerAdminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, options } = ctx;
  const tokens = options.tokens;

  // --- session: who the token is, so the console can show the role and hide what it may not do.
  app.get('/v1/session', { schema: ROUTE_SCHEMAS['GET /v1/session'], config: { minRole: ROUTE_ROLES['GET /v1/session'] } }, async (req) => {
    const p = req.principal;
    if (!p) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <token>');
    return { role: p.role, actor: p.actor, token_id: p.token?.token_id ?? null, name: p.token?.name ?? null, expires_at: p.token?.expires_at ?? null };
  });

  // --- tokens: never the secret or its hash, except the secret once in the create answer.
  app.get('/v1/tokens', { schema: ROUTE_SCHEMAS['GET /v1/tokens'], config: { minRole: ROUTE_ROLES['GET /v1/tokens'] } }, async () => {
    const now = Date.now();
    return { tokens: (await tokens.list()).map((t) => tokenView(t, now)) };
  });

  app.post<{ Body: TokenCreateBody }>(
    '/v1/tokens',
    { schema: ROUTE_SCHEMAS['POST /v1/tokens'], config: { minRole: ROUTE_ROLES['POST /v1/tokens'] } },
    async (req, reply) => {
      // The body was validated by TokenCreateBody (role, a non-empty name, an expiry in the future).
      const { role, name, expires_at } = req.body;
      const createdBy = req.principal?.actor ?? 'unknown';
      const created = await tokens.createToken(role, {
        name,
        createdBy,
        expiresAtMs: expires_at === undefined || expires_at === null ? null : Date.parse(expires_at),
      });
      req.log.info({ token_id: created.token_id, role, created_by: createdBy }, 'API token created');
      return reply.code(201).send({ ...created, created_by: createdBy });
    },
  );

  app.delete<{ Params: { token_id: string } }>(
    '/v1/tokens/:token_id',
    { schema: ROUTE_SCHEMAS['DELETE /v1/tokens/:token_id'], config: { minRole: ROUTE_ROLES['DELETE /v1/tokens/:token_id'] } },
    async (req) => {
      const id = req.params.token_id;
      // A secret pasted where its id belongs: not echoed, and said plainly (it has been in a URL now).
      if (id.startsWith('aw_'))
        throw new ApiError(
          400,
          'invalid_parameter',
          "token_id: this is a token's secret, not its token_id; treat it as exposed and revoke it by its token_id (GET /v1/tokens)",
          [{ parameter: 'token_id', message: 'a secret, not a token_id' }],
        );
      if (!(await tokens.revoke(id))) throw noToken(id);
      const token = await tokens.get(id);
      if (!token) throw noToken(id);
      req.log.info({ token_id: id, revoked_by: req.principal?.actor }, 'API token revoked');
      return { token: tokenView(token, Date.now()) };
    },
  );

  // --- registry in force, the versions loaded (recorded by `agentwatch up`), and validation of a candidate.
  app.get('/v1/registry', { schema: ROUTE_SCHEMAS['GET /v1/registry'], config: { minRole: ROUTE_ROLES['GET /v1/registry'] } }, async () => {
    const version = options.registryVersion?.();
    const registry = options.registry?.();
    if (!version || !registry) throw new ApiError(503, 'not_ready', 'no registry loaded');
    return { version, registry };
  });

  app.get<{ Querystring: RegistryVersionsQuery }>(
    '/v1/registry/versions',
    { schema: ROUTE_SCHEMAS['GET /v1/registry/versions'], config: { minRole: ROUTE_ROLES['GET /v1/registry/versions'] } },
    async (req) => {
      const { sha256 } = req.query;
      if (sha256 === undefined) return { versions: await store.admin.registryVersions() };
      const one = await store.admin.registryVersion(sha256);
      if (!one) throw new ApiError(404, 'not_found', `no registry version ${sha256} was loaded`, [{ parameter: 'sha256' }]);
      return { versions: [one] };
    },
  );

  // Its own scope: the body is read raw (YAML or JSON text) up to its own limit; other content types are a 415.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...REGISTRY_CONTENT_TYPES], { parseAs: 'buffer', bodyLimit: REGISTRY_VALIDATE_BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });
    scope.post(
      '/v1/registry/validate',
      {
        schema: ROUTE_SCHEMAS['POST /v1/registry/validate'],
        bodyLimit: REGISTRY_VALIDATE_BODY_LIMIT,
        config: { minRole: ROUTE_ROLES['POST /v1/registry/validate'] },
      },
      async (req) => {
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'the body is empty: expected a registry document (YAML or JSON)');
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          throw new ApiError(400, 'invalid_body', 'the body is not UTF-8 text: expected a registry document (YAML or JSON)');
        }
        const isJson = /^application\/json\b/i.test(req.headers['content-type'] ?? '');
        if (isJson) {
          try {
            JSON.parse(text);
          } catch (e) {
            throw new ApiError(400, 'invalid_body', `Content-Type is application/json, but the body is not JSON: ${(e as Error).message}`);
          }
        }
        // The loader's own validation (what `up` runs on the file), nothing loaded.
        const r = parseRegistry(text, CANDIDATE);
        if (r.ok) return { valid: true, agent_count: r.registry.agentCount, errors: [] };
        const errors = r.problems.map(({ path, message }) => ({ path, message }));
        if (r.syntax) throw new ApiError(400, 'invalid_body', `the body is not ${isJson ? 'JSON' : 'YAML'}: ${errors[0]?.message ?? ''}`, errors);
        return { valid: false, agent_count: 0, errors };
      },
    );
  });
}
