// The soak's verdict: what the collectors stored and published, against the events produced and replay's alerts.
// Pure (no I/O), so it is unit-tested with hand-made cases, one of which must fail.
//
// "Stored exactly once", with one embedded store per collector (each its own data dir, as on separate machines):
//   1. every produced event is in at least one store (none lost);
//   2. within one store an event is one row as the store is read (SELECT ... FINAL: the ReplacingMergeTree folds a
//      re-read stretch written again by the same collector); more is a duplicate;
//   3. an event is in two stores only if its partition was held by both collectors at some point (a partition that
//      moves resumes from its last saved checkpoint, so its new owner stores again what the old one stored after that
//      checkpoint: at-least-once across stores, bounded by the checkpoint interval). Any other copy is a duplicate.
// Alerts: the latest version of each alert id on the alerts topic, and the highest count of each alert id over the
// stores, must be replay's alerts exactly: none missing, none extra, each with replay's count; within one store an
// alert id is one row (FINAL).

export interface StoreDump {
  /** Event ids stored (distinct, as read with FINAL). */
  ids: string[];
  /** Event ids with more than one row under FINAL. */
  duplicateIds: string[];
  /** Alerts as read with FINAL: count, and rows per alert id. */
  alerts: Array<{ alert_id: string; count: number; rows: number }>;
}

export interface SoakObservations {
  /** Produced (acknowledged) events: id and the partition the producer put it in. */
  produced: Array<{ id: string; partition: number }>;
  /** Sum of the events topic's end offsets at the end (what the broker holds). */
  topicEvents: number;
  /** Each collector's store, by member name. */
  stores: Record<string, StoreDump>;
  /** Partitions each member ever held (from its "partitions assigned" log lines, over all its restarts). */
  held: Record<string, number[]>;
  /** Replay's alerts (same-clock ones): alert id -> count. */
  expected: Map<string, number>;
  /** Latest version of each alert id on the alerts topic: alert id -> count. */
  topicAlerts: Map<string, number>;
}

export interface SoakCounts {
  events: { produced: number; stored: number; duplicates: number; lost: number; crossStoreCopies: number };
  alerts: { expected: number; found: number; extra: number; wrongCount: number; storedFound: number; storedExtra: number; storedWrongCount: number };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const sample = (xs: readonly string[], n = 5): string =>
  xs.length === 0 ? 'none' : `${xs.length}: ${xs.slice(0, n).join(', ')}${xs.length > n ? ', ...' : ''}`;

export function checkSoak(o: SoakObservations): { counts: SoakCounts; checks: Check[] } {
  const producedIds = new Set(o.produced.map((p) => p.id));
  const partitionOf = new Map(o.produced.map((p) => [p.id, p.partition]));
  const held = new Map(Object.entries(o.held).map(([m, ps]) => [m, new Set(ps)]));

  // Where each event is stored.
  const storedIn = new Map<string, string[]>();
  const withinStoreDuplicates: string[] = [];
  const unknown: string[] = [];
  for (const [member, dump] of Object.entries(o.stores)) {
    for (const id of dump.ids) {
      const at = storedIn.get(id);
      if (at) at.push(member);
      else storedIn.set(id, [member]);
      if (!producedIds.has(id)) unknown.push(`${id} in ${member}`);
    }
    for (const id of dump.duplicateIds) withinStoreDuplicates.push(`${id} in ${member}`);
  }
  const lost = [...producedIds].filter((id) => !storedIn.has(id));
  let crossStoreCopies = 0;
  const unexplainedCopies: string[] = [];
  for (const [id, members] of storedIn) {
    if (members.length < 2) continue;
    crossStoreCopies += members.length - 1;
    const p = partitionOf.get(id);
    const allHeld = p !== undefined && members.every((m) => held.get(m)?.has(p));
    if (!allHeld) unexplainedCopies.push(`${id} (P${p}) in ${members.join('+')}`);
  }

  // Alerts: the topic's latest versions, and the stores' highest counts.
  const stored = new Map<string, number>();
  const storedTwice: string[] = [];
  for (const [member, dump] of Object.entries(o.stores)) {
    for (const a of dump.alerts) {
      stored.set(a.alert_id, Math.max(stored.get(a.alert_id) ?? 0, a.count));
      if (a.rows > 1) storedTwice.push(`${a.alert_id} in ${member} (${a.rows} rows)`);
    }
  }
  const compare = (got: Map<string, number>) => {
    const missing = [...o.expected.keys()].filter((id) => !got.has(id));
    const extra = [...got.keys()].filter((id) => !o.expected.has(id));
    const wrong = [...o.expected].filter(([id, n]) => got.has(id) && got.get(id) !== n).map(([id, n]) => `${id}: ${got.get(id)} vs replay ${n}`);
    return { missing, extra, wrong, found: [...o.expected.keys()].filter((id) => got.has(id)).length };
  };
  const topic = compare(o.topicAlerts);
  const inStores = compare(stored);

  const producedCount = o.produced.length;
  const counts: SoakCounts = {
    events: {
      produced: producedCount,
      stored: [...storedIn.keys()].filter((id) => producedIds.has(id)).length,
      duplicates: withinStoreDuplicates.length + unexplainedCopies.length + unknown.length,
      lost: lost.length,
      crossStoreCopies,
    },
    alerts: {
      expected: o.expected.size,
      found: topic.found,
      extra: topic.extra.length,
      wrongCount: topic.wrong.length,
      storedFound: inStores.found,
      storedExtra: inStores.extra.length,
      storedWrongCount: inStores.wrong.length,
    },
  };
  const check = (name: string, bad: readonly string[], what = ''): Check => ({
    name,
    ok: bad.length === 0,
    detail: bad.length === 0 ? what || 'ok' : sample(bad),
  });
  const checks: Check[] = [
    check('the broker holds every produced event once', o.topicEvents === producedCount ? [] : [`topic holds ${o.topicEvents}, produced ${producedCount}`]),
    check('replay raised alerts to compare with', o.expected.size > 0 ? [] : ['replay raised no alert: the comparison would be empty']),
    check('no produced event lost (in no store)', lost),
    check('no event twice in one store (FINAL)', withinStoreDuplicates),
    check('an event in two stores only on a partition both held', unexplainedCopies, `${crossStoreCopies} copies, all on moved partitions`),
    check('no stored event that was not produced', unknown),
    check('alerts topic: every replay alert present', topic.missing),
    check('alerts topic: no extra alert', topic.extra),
    check("alerts topic: each alert with replay's count", topic.wrong),
    check('stores: every replay alert stored', inStores.missing),
    check('stores: no extra alert', inStores.extra),
    check("stores: each alert's highest count is replay's", inStores.wrong),
    check('stores: no alert id twice in one store (FINAL)', storedTwice),
  ];
  return { counts, checks };
}
