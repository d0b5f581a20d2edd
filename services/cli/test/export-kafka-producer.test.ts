// The kafka exporter's producer makes ONE attempt per send (issue 16): the outbox owns retries and backoff, so a
// broker that is down shows as `retrying` at once instead of after kafkajs' hidden retries; and a later send tries
// again (a failed connect is not remembered). A loopback "broker" that accepts and drops every connection counts
// the attempts.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKafkaProducer } from '../src/export-kafka-producer.ts';

describe('export kafka producer', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      sockets.add(s);
      s.on('data', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('tries once per send, and again on the next send', async () => {
    const producer = exportKafkaProducer({ name: 'probe', brokers: [`127.0.0.1:${port}`], security: {}, timeoutMs: 2000 });
    const record = { topic: 'aw-probe', messages: [{ key: 'a', value: '{}' }] };
    await expect(producer.send(record)).rejects.toThrow();
    expect(connections).toBe(1);
    await expect(producer.send(record)).rejects.toThrow();
    expect(connections).toBe(2);
    await producer.disconnect();
  });
});
