// The console's one HTTP client: every call carries `Authorization: Bearer <token>` (never a token in the URL) and
// turns api.md's {"error": {code, message}} into an ApiError the pages show as is.
import { clearToken, readToken } from './token-store.ts';

/** A non-2xx answer: the status and api.md's error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the API answers 401 (token revoked or expired): the app goes back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined | null>;

/** `?a=1&b=x&b=y` from a query object; empty values and undefined are left out. */
export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** Send `body` as this content type instead of JSON (a string body, e.g. a pasted YAML registry). */
  contentType?: string;
  /** Use this token instead of the signed-in one (sign-in checks a token before keeping it). */
  token?: string;
  signal?: AbortSignal;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const token = opts.token ?? readToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    body = typeof opts.body === 'string' && opts.contentType ? opts.body : JSON.stringify(opts.body);
  }
  const res = await fetch(path + queryString(opts.query), {
    method: opts.method ?? 'GET',
    headers,
    credentials: 'omit',
    cache: 'no-store',
    ...(body !== undefined ? { body } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !opts.token) {
      clearToken();
      onUnauthorized();
    }
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `${res.status} ${res.statusText}`);
  }
  return json as T;
}

/** An error as one line for the page. */
export const errorText = (e: unknown): string => (e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : e instanceof Error ? e.message : String(e));
