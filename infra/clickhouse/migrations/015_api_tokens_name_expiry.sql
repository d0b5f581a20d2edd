-- API 1.1 tokens (api.md: POST /v1/tokens {role, name, expires_at?}): a name to tell tokens apart, an optional expiry
-- (refused from then on, by the server's clock) and who created it (`token:<id>`, `bootstrap` or `cli`). Tokens
-- created before this migration read as name '', no expiry, created_by ''.
ALTER TABLE {db}.api_tokens ADD COLUMN IF NOT EXISTS name String DEFAULT '';

ALTER TABLE {db}.api_tokens ADD COLUMN IF NOT EXISTS expires_at Nullable(DateTime64(3, 'UTC'));

ALTER TABLE {db}.api_tokens ADD COLUMN IF NOT EXISTS created_by String DEFAULT '';
