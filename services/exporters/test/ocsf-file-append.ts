// Run by ocsf-transport.test.ts in a child process (under `ulimit -f` to make the disk "full"): appends N findings
// with the OCSF file transport, starting after what alreadyDelivered() reports, and prints what happened as JSON.
import { createOcsfFileTransport, DeliveryError } from '../src/index.ts';
import { baseAlert, delivery, ORIGIN } from './fixtures.ts';

const [path, count] = [process.argv[2] as string, Number(process.argv[3])];
const t = createOcsfFileTransport({ path, origin: ORIGIN });
const held = (await t.alreadyDelivered?.()) ?? new Set<string>();
const items = Array.from({ length: count }, (_, i) => ({ alert: baseAlert({ alert_id: `fill-${i}` }), delivery: delivery() })).filter(
  (i) => !held.has(`${i.alert.alert_id}:1`),
);
let error: { message: string; delivered: number; permanent: boolean } | null = null;
try {
  await t.send(items);
} catch (e) {
  if (!(e instanceof DeliveryError)) throw e;
  error = { message: e.message, delivered: e.delivered, permanent: e.permanent };
}
await t.close();
console.log(JSON.stringify({ held: held.size, sent: items.length, error }));
