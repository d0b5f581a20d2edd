// vitest globalSetup: one real Kafka broker for the whole run (see ./kafka.ts for where it comes from).
// Tests read it with inject('kafkaBrokers'). Under CI (or AGENTWATCH_REQUIRE_KAFKA=1) a missing broker fails the
// run; elsewhere the Kafka tests skip and inject('kafkaUnavailable') says why.
import type { TestProject } from 'vitest/node';
import { acquireKafka, type KafkaHandle, kafkaRequired } from './kafka.ts';
import { ensureKcat } from './kcat.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // kcat, the non-kafkajs producer of the codec test: installed here so CI and a fresh machine have it.
  const kcat = ensureKcat();
  if (kcat !== '') {
    if (kafkaRequired()) throw new Error(kcat);
    process.stderr.write(`[kafka] ${kcat}\n`);
  }
  project.provide('kcatUnavailable', kcat);
  let handle: KafkaHandle;
  try {
    handle = await acquireKafka();
  } catch (err) {
    if (kafkaRequired()) throw err;
    const reason = (err as Error).message;
    process.stderr.write(`[kafka] no broker, Kafka tests will be skipped: ${reason}\n`);
    project.provide('kafkaBrokers', []);
    project.provide('kafkaHow', '');
    project.provide('kafkaUnavailable', reason);
    project.provide('kafkaSecure', null);
    return async () => {};
  }
  process.stderr.write(`[kafka] brokers ${handle.brokers.join(',')} (${handle.how})\n`);
  project.provide('kafkaBrokers', handle.brokers);
  project.provide('kafkaHow', handle.how);
  project.provide('kafkaUnavailable', '');
  project.provide('kafkaSecure', handle.secure ?? null);
  return async () => {
    await handle.stop();
  };
}
