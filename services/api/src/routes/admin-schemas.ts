import { z } from 'zod';
import { ROLES } from '../tokens.ts';

/**
 * Request and answer schemas of routes/admin.ts (tokens, session, registry). The route options built from them are
 * in route-schemas.ts under the admin marker; kept here so that file stays a list.
 */

/**
 * Largest POST /v1/registry/validate body (413 beyond). Validation (the registry loader: YAML parse, schema, globs) runs
 * in one piece on the event loop. Measured on this project's shared 2-core machine under load (load average 8-12): a
 * 4 MiB registry of 16,500 agents took 3.2 s, a 1 MiB one of 4,136 agents 1.3-2.1 s; so the limit is 1 MiB, which holds
 * registries of about 4,000 agents. Running the loader in a worker thread would lift it.
 */
export const REGISTRY_VALIDATE_BODY_LIMIT = 1024 * 1024;

/** Content types POST /v1/registry/validate reads (the registry loader reads JSON as YAML). */
export const REGISTRY_CONTENT_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'application/json'] as const;

const quoted = (v: unknown): string => JSON.stringify(v) ?? String(v);
const ROLE_MESSAGE = `expected one of ${ROLES.join(', ')}`;
/** Longest token name, in characters. */
export const MAX_TOKEN_NAME = 200;
const NOT_AN_OBJECT = 'expected a JSON object {"role": "...", "name": "...", "expires_at"?: "..."} with Content-Type: application/json';

/** POST /v1/tokens body. `expires_at` must lie in the future by the server's clock. */
export const TokenCreateBody = z.strictObject(
  {
    role: z.enum(ROLES, { error: (iss) => `${ROLE_MESSAGE}, got ${quoted(iss.input)}` }),
    name: z
      .string({ error: () => `expected a string of 1 to ${MAX_TOKEN_NAME} characters` })
      .trim()
      .min(1, 'empty: say who or what the token is for')
      .max(MAX_TOKEN_NAME, `longer than ${MAX_TOKEN_NAME} characters`)
      // The control characters (Unicode category Cc) spelled as ranges: fuzzers and other generators read this pattern
      // from /openapi.json, and few of them know \p{...} classes.
      .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'control characters (newlines, tabs ...) are not allowed')
      .meta({ description: 'who or what the token is for' }),
    expires_at: z.iso
      .datetime({ offset: true, error: (iss) => `expected an RFC 3339 timestamp with zone, e.g. 2027-01-31T00:00:00Z, got ${quoted(iss.input)}` })
      .refine((v) => Date.parse(v) > Date.now(), { error: (iss) => `expected a time in the future, got ${quoted(iss.input)}` })
      .nullable()
      .optional()
      .meta({ description: 'from this time on the token is refused (401); absent or null: never expires' }),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? NOT_AN_OBJECT : undefined) },
);
export type TokenCreateBody = z.output<typeof TokenCreateBody>;

export const TokenIdParams = z.object({ token_id: z.string().min(1, 'empty').meta({ description: 'the token_id from GET /v1/tokens' }) });

/** GET /v1/registry/versions: optionally one version, with its content. */
export const RegistryVersionsQuery = z.strictObject({
  sha256: z
    .string({ error: () => 'expected one value' })
    .regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 as 64 lowercase hex digits')
    .meta({ description: 'only the latest load of this version, with its content' })
    .optional(),
});
export type RegistryVersionsQuery = z.output<typeof RegistryVersionsQuery>;

/** A token as listed: never the secret or its hash. */
export const TokenView = z
  .object({
    token_id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_by: z.string().meta({ description: '`token:<token_id>`, `bootstrap` or `cli`' }),
    expired: z.boolean().meta({ description: 'expires_at has passed (server clock)' }),
  })
  .meta({ id: 'Token' });

export const CreatedTokenView = z.object({
  token: z.string().meta({ description: 'the secret: shown in this answer only, never again' }),
  token_id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  created_by: z.string(),
});

export const SessionView = z.object({
  role: z.enum(ROLES),
  actor: z.string().meta({ description: '`token:<token_id>` or `bootstrap`' }),
  token_id: z.string().nullable(),
  name: z.string().nullable(),
  expires_at: z.string().nullable(),
});

export const RegistryVersionView = z
  .object({
    sha256: z.string().meta({ description: "SHA-256 of the registry file's text as loaded" }),
    loaded_at: z.string(),
    agent_count: z.number().int(),
    source: z.string().meta({ description: 'the file it was loaded from' }),
  })
  .meta({ id: 'RegistryVersion' });

export const RegistryValidation = z.object({
  valid: z.boolean(),
  agent_count: z.number().int().meta({ description: 'agents in the candidate when valid; 0 otherwise' }),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).meta({ description: 'every problem, as the registry loader reports them' }),
});
