/**
 * Query parameter names that carry credentials by common convention (OAuth's `access_token`, `api_key`, ...).
 * agentwatch reads tokens from the Authorization header only; a credential in a URL ends up in proxy logs, browser
 * history and Referer headers, so a request that sends one is refused rather than quietly ignored.
 */
const CREDENTIAL_PARAMETER =
  /^(access[_-]?token|auth[_-]?token|bearer(?:[_-]?token)?|token|id[_-]?token|refresh[_-]?token|api[_-]?key|apikey|x[_-]api[_-]key|auth|authorization|password|passwd|secret|client[_-]?secret|jwt)$/i;

/** The first query parameter of `url` whose name is a credential's (as sent, decoded), or undefined. */
export function credentialQueryParameter(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  for (const name of new URLSearchParams(url.slice(q + 1)).keys()) if (CREDENTIAL_PARAMETER.test(name.trim())) return name;
  return undefined;
}
