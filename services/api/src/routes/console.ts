import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The analyst console (api.md 1.1): the static files Vite built into services/console/dist, served at `/` with no
 * token (every API call the console makes carries one). Files are served only for requests no route matched, from
 * an onRequest hook, so the console can never shadow /v1/*, /openapi.json, /healthz, /readyz or /metrics, and it
 * adds no route to the OpenAPI document (it is not part of the API). Paths that are not files (`/alerts/...`) get
 * index.html: the console's router reads the path (SPA fallback).
 */

/** Where `npm run build -w @agentwatch/console` (run by the root postinstall, so by `npm ci`) puts the console. */
export const CONSOLE_DIST = join(import.meta.dirname, '..', '..', '..', 'console', 'dist');

/**
 * The console's Content-Security-Policy: its own origin only (no CDN, no inline script or style, no framing), so
 * injected markup cannot run code or send data elsewhere.
 */
export const CONSOLE_CSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/** Paths the console never answers, even when no route matched: the API's 404 stays a JSON error. */
const API_PATH = /^\/(?:v1(?:\/|$)|openapi\.json$|healthz$|readyz$|metrics$)/;

/**
 * The console's own pages (services/console/src/app.tsx's router), answered with index.html. Any other path that is
 * not a built file stays the API's JSON 404, so a mistyped URL is not a page. An agent id is one %2F-encoded segment.
 */
export const CLIENT_ROUTE = /^\/(?:|alerts|incidents|agents|suppressions|registry|tokens|alerts\/[^/]+|incidents\/[^/]+|agents\/[^/]+)$/;

export interface ConsoleOptions {
  /** The built console (default {@link CONSOLE_DIST}). */
  dir?: string;
}

const securityHeaders = (reply: FastifyReply): FastifyReply =>
  reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');

/** What `/` answers when the console was not built: how to build it (the API itself works without it). */
export function notBuiltPage(dir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agentwatch: console not built</title></head>
<body><main>
<h1>The agentwatch console is not built</h1>
<p>The API is running (see <a href="/openapi.json">/openapi.json</a>), but ${escapeHtml(dir)} has no index.html.</p>
<p>Build the console with <code>npm run build -w @agentwatch/console</code> (or run <code>npm ci</code>, which builds it), then reload this page. No restart is needed.</p>
</main></body></html>
`;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Registers the console on `app` (see the module comment). Call it after the API's own hooks. */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  const dir = opts.dir ?? CONSOLE_DIST;
  const index = join(dir, 'index.html');
  // Only reply.sendFile (root-confined, ETag, Last-Modified, ranges, MIME types); no route of its own.
  app.register(fastifyStatic, { root: dir, serve: false, suppressWarning: true, index: false, dotfiles: 'ignore' });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    // A route matched: not the console's business.
    if (req.routeOptions.url !== undefined) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const path = (req.url.split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
    if (API_PATH.test(path)) return;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return;
    }
    // `..`, a backslash or a NUL is never a console path: a plain 404.
    if (/(^|\/)\.\.(\/|$)|[\\\0]/.test(decoded)) return;
    const page = CLIENT_ROUTE.test(path);
    // Checked each request (a stat), so a console built after `up` started is served without a restart.
    if (!existsSync(index)) {
      if (!page) return;
      securityHeaders(reply).code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(notBuiltPage(dir));
      return reply;
    }
    const file = fileUnder(dir, decoded);
    if (file) {
      // Vite names its assets by content hash: they never change under the same name.
      const immutable = decoded.startsWith('/assets/');
      securityHeaders(reply).sendFile(file, { cacheControl: true, immutable, maxAge: immutable ? 31_536_000_000 : 0 });
      return reply;
    }
    // Not a page of the console (a missing asset, a mistyped path): the API's 404, never index.html served as a script.
    if (!page) return;
    securityHeaders(reply).header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    return reply;
  });
}

/** The file `path` names inside `dir` (relative, for sendFile), or null when it is not a regular file there. */
function fileUnder(dir: string, path: string): string | null {
  if (path === '/' || path.endsWith('/')) return null;
  const rel = normalize(path).replace(/^[/\\]+/, '');
  // Dotfiles and anything that would climb out of `dir` are not served (sendFile is root-confined as well).
  if (rel.split(sep).some((p) => p.startsWith('.'))) return null;
  try {
    return statSync(join(dir, rel)).isFile() ? rel : null;
  } catch {
    return null;
  }
}
