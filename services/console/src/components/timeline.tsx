// Evidence events as a timeline, oldest first, one line each saying what the agent did.
import { when } from '../format.ts';
import type { CanonicalEvent } from '../types.ts';

/** What an event says, in a few words (the fields an analyst reads first for each kind). */
export function describeEvent(e: CanonicalEvent): string {
  const r = e as Record<string, unknown>;
  const parts: string[] = [];
  const add = (label: string, key: string) => {
    const v = r[key];
    if (v === undefined || v === null || v === '') return;
    parts.push(`${label}${Array.isArray(v) ? v.join(', ') : String(v)}`);
  };
  add('', 'tool');
  add('', 'action');
  add('on ', 'resource');
  add('outcome ', 'outcome');
  add('decision ', 'decision');
  add('policy ', 'policy');
  add('token ', 'token_id');
  add('issuer ', 'issuer');
  add('scopes ', 'scopes');
  add('expires ', 'expires_at');
  add('to ', 'delegate_to');
  add('on behalf of ', 'on_behalf_of');
  add('from ', 'source_ip');
  return parts.join(' · ');
}

export function EventTimeline({ events }: { events: CanonicalEvent[] }) {
  if (events.length === 0) return <p>No evidence events stored for this alert.</p>;
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return (
    <ol class="timeline" data-testid="evidence-timeline">
      {sorted.map((e) => (
        <li key={e.event_id} data-testid="timeline-event">
          <time dateTime={e.time}>{when(e.time)}</time> <span class="kind">{e.kind}</span> <span>{describeEvent(e)}</span>
        </li>
      ))}
    </ol>
  );
}
