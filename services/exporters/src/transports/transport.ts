import type { Alert, Incident } from '@agentwatch/schemas';
import type { Delivery } from '../formats/delivery.ts';

/** One alert version the outbox hands to a transport: the alert as it was at that version, and its delivery facts. */
export interface ExportItem {
  alert: Alert;
  delivery: Delivery;
}

/** One incident version (issue 16: incidents are exported as OCSF findings that reference their alerts). */
export interface IncidentItem {
  incident: Incident;
  delivery: Delivery;
}

/**
 * A receiver refused or could not take a batch. `delivered` leading items of the batch were acknowledged before the
 * failure (the outbox marks those done and resends from the next one). `permanent` means sending the same bytes again
 * cannot succeed (HTTP 400/401/403/413 and the like, a record the receiver rejects): the outbox keeps the item as
 * failed (counted, reported, never silently dropped) and goes on; otherwise it retries with backoff.
 * `retryAfterMs` carries a receiver's own hint (HTTP Retry-After).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly opts: { permanent: boolean; delivered?: number; retryAfterMs?: number } = { permanent: false },
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
  get permanent(): boolean {
    return this.opts.permanent;
  }
  get delivered(): number {
    return this.opts.delivered ?? 0;
  }
}

/**
 * How one exporter type puts alert versions on the wire. The outbox owns order, retries, backoff and what counts as
 * done; a transport only sends a batch (in the given order) and says whether the receiver took it.
 */
export interface Transport {
  /** Sends the items in order; resolves once the receiver acknowledged all of them, else throws DeliveryError. */
  send(items: readonly ExportItem[]): Promise<void>;
  /**
   * Sends incident versions, for a transport whose format has a place for them (OCSF: a finding that references its
   * alerts). Without it the outbox passes incidents over (counted as filtered). Same contract as `send`.
   */
  sendIncidents?(items: readonly IncidentItem[]): Promise<void>;
  /**
   * Delivery ids (`<alert_id>:<version>`) the receiver is known to hold already, for a transport that can tell (the
   * OCSF file reads its own tail). Called once at start; the outbox skips those instead of repeating them after a crash.
   */
  alreadyDelivered?(): Promise<ReadonlySet<string>>;
  /** Releases sockets and files; pending sends fail. */
  close(): Promise<void>;
}

/** TLS material for a transport, already read from files (secrets never come inline from the config). */
export interface TransportTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true; false only for a test receiver with a self-signed certificate. */
  rejectUnauthorized?: boolean;
}
