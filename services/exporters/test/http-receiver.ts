import { createServer as createHttp, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it on the wire. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers: a status with optional headers and body, or no answer at all (a hung receiver). */
export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A real HTTP(S) server on 127.0.0.1 for transport tests: records every request, answers with `reply`. */
export interface Receiver {
  url(path: string): string;
  readonly requests: Received[];
  /** Replaces how later requests are answered. */
  reply: (req: Received, n: number) => Reply;
  /** Stops listening and cuts every open connection (pooled keep-alive sockets included). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

export async function startReceiver(opts: { reply?: (req: Received, n: number) => Reply; tls?: { cert: string; key: string } } = {}): Promise<Receiver> {
  let port = 0;
  const requests: Received[] = [];
  const hung: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const out = receiver.reply(r, requests.length);
      if (out === 'hang') {
        hung.push(res);
        return;
      }
      res.writeHead(out.status, { 'Content-Type': 'application/json', ...out.headers });
      res.end(out.body ?? '');
    });
  };
  let server: Server;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = opts.tls ? createHttps({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttp(handler);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const scheme = opts.tls ? 'https' : 'http';
  const receiver: Receiver = {
    url: (path) => `${scheme}://127.0.0.1:${port}${path}`,
    requests,
    reply: opts.reply ?? (() => ({ status: 200, body: '{"text":"Success","code":0}' })),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hung.splice(0)) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    restart: listen,
  };
  return receiver;
}
