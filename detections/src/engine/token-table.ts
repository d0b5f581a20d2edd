/** What the engine knows about one credential (events.md `token_issued` / `token_revoked`). */
export interface TokenFact {
  /** Agent the token was issued to. */
  agentId: string;
  issuer: string;
  scopes: string[];
  issuedMs: number;
  expiresMs: number;
  revokedMs: number | null;
  parentTokenId: string | null;
  /** event_id of the issuance, for evidence. */
  eventId: string;
}

/**
 * Live credentials keyed by `token_id`. Bounded: a token is forgotten `graceMs` after it expired (or
 * was revoked), so the table grows with live tokens, not with history. A use of a forgotten token is
 * indistinguishable from an unknown token; the grace period sets how late "use after expiry" is seen.
 */
export class TokenTable {
  private readonly tokens = new Map<string, TokenFact>();
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly graceMs: number) {}

  get(tokenId: string): TokenFact | undefined {
    return this.tokens.get(tokenId);
  }

  issue(tokenId: string, fact: TokenFact): void {
    this.tokens.set(tokenId, fact);
  }

  /** Marks a token revoked at `atMs`; returns false when the token is unknown. */
  revoke(tokenId: string, atMs: number): boolean {
    const t = this.tokens.get(tokenId);
    if (!t) return false;
    if (t.revokedMs === null || atMs < t.revokedMs) t.revokedMs = atMs;
    return true;
  }

  /** Drops tokens whose grace period ended before `nowMs`. Cheap to call often: sweeps at most once per 10 minutes of event time. */
  sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < 600_000) return;
    this.lastSweepMs = nowMs;
    for (const [id, t] of this.tokens) {
      const end = Math.min(t.expiresMs, t.revokedMs ?? Number.POSITIVE_INFINITY);
      if (end + this.graceMs < nowMs) this.tokens.delete(id);
    }
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Plain data for checkpoints. */
  snapshot(): Array<[string, TokenFact]> {
    return [...this.tokens];
  }

  restore(entries: Array<[string, TokenFact]>): void {
    this.tokens.clear();
    for (const [id, t] of entries) this.tokens.set(id, t);
  }
}
