import { type Action, durationToMs, type Registry, type RegistryAgent } from '@agentwatch/schemas';
import { type GlobKind, PatternSet } from './glob.ts';

/** One registry agent with its allow-lists compiled once, ready for per-event checks. */
export interface CompiledAgent {
  readonly entry: RegistryAgent;
  readonly id: string;
  /** `null` = the list is absent, so that dimension is not restricted (registry.md). */
  readonly tools: PatternSet | null;
  readonly resources: PatternSet | null;
  readonly actions: ReadonlySet<Action> | null;
  readonly tokenScopes: PatternSet | null;
  readonly environments: ReadonlySet<string> | null;
  readonly maxTokenTtlMs: number | null;
  readonly highConsequenceTools: PatternSet | null;
  /** Empty when `delegation` is absent: delegation is deny-by-default. */
  readonly mayDelegateTo: PatternSet;
  readonly maxDepth: number | null;
  /** Epoch ms of the last review, or of registration when never reviewed. */
  readonly reviewedAtMs: number;
  /** The owner's person entry says `departed` (the agent is orphaned). */
  readonly ownerDeparted: boolean;
}

/** The registry in the form detections use: O(1) look-ups by id, patterns precompiled. */
export class CompiledRegistry {
  readonly source: Registry;
  /** Content hash, so stored alerts and registry versions can say which registry judged them. */
  readonly version: string;
  private readonly agents = new Map<string, CompiledAgent>();
  private readonly people = new Map<string, Registry['people'][number]>();

  constructor(registry: Registry, version: string) {
    this.source = registry;
    this.version = version;
    for (const p of registry.people) this.people.set(p.id, p);
    const patterns = new PatternSets();
    for (const a of registry.agents) this.agents.set(a.id, compileAgent(a, this.person(a.owner)?.status === 'departed', patterns));
  }

  agent(id: string): CompiledAgent | undefined {
    return this.agents.get(id);
  }

  get agentCount(): number {
    return this.agents.size;
  }

  allAgents(): IterableIterator<CompiledAgent> {
    return this.agents.values();
  }

  /** The person entry for `id`, accepting ids written with or without a `user:` prefix. */
  person(id: string): Registry['people'][number] | undefined {
    return this.people.get(id) ?? this.people.get(stripUserPrefix(id));
  }

  /**
   * Whether a delegation-chain element is a person (registry.md): listed under `people` (with or without
   * `user:`), or equal to the event's `on_behalf_of`. Everything else is an agent.
   */
  isPerson(element: string, onBehalfOf: string | undefined): boolean {
    if (this.person(element)) return true;
    if (onBehalfOf === undefined) return false;
    return element === onBehalfOf || stripUserPrefix(element) === stripUserPrefix(onBehalfOf);
  }
}

export const stripUserPrefix = (id: string): string => (id.startsWith('user:') ? id.slice(5) : id);

/**
 * Compiled allow-lists shared by every agent declaring the same list: agents of one kind usually do, and a compiled
 * set (hash set, regex, answer cache) costs far more than the reference (bench:scale measures it per agent).
 */
class PatternSets {
  private readonly byKey = new Map<string, PatternSet>();

  get(list: readonly string[], kind: GlobKind): PatternSet {
    const key = `${kind}\u0000${list.join('\u0000')}`;
    let set = this.byKey.get(key);
    if (!set) {
      set = new PatternSet(list, kind);
      this.byKey.set(key, set);
    }
    return set;
  }

  orNull(list: readonly string[] | undefined, kind: GlobKind): PatternSet | null {
    return list === undefined ? null : this.get(list, kind);
  }
}

function compileAgent(a: RegistryAgent, ownerDeparted: boolean, patterns: PatternSets): CompiledAgent {
  const s = a.scope;
  return {
    entry: a,
    id: a.id,
    tools: patterns.orNull(s.tools, 'tool'),
    resources: patterns.orNull(s.resources, 'resource'),
    actions: s.actions ? new Set(s.actions) : null,
    tokenScopes: patterns.orNull(s.token_scopes, 'scope'),
    environments: s.environments ? new Set(s.environments) : null,
    maxTokenTtlMs: s.max_token_ttl ? durationToMs(s.max_token_ttl) : null,
    highConsequenceTools: patterns.orNull(a.high_consequence_tools, 'tool'),
    mayDelegateTo: patterns.get(a.delegation?.may_delegate_to ?? [], 'agent'),
    maxDepth: a.delegation?.max_depth ?? null,
    reviewedAtMs: Date.parse(a.last_reviewed ?? a.registered_at),
    ownerDeparted,
  };
}
