// The delegation chain drawn as a path: the person on whose behalf, then each agent in delegation order, the
// acting agent last. Agents the registry does not list are marked.
import { agentPath } from '../format.ts';
import type { CanonicalEvent, ChainLink } from '../types.ts';

export type ChainItem = Omit<ChainLink, 'registered'> & { registered?: boolean };

/** The chain the API computed, or (older servers) the one the evidence events carry, registration unknown. */
export function chainOf(chain: ChainLink[] | undefined, events: CanonicalEvent[], agentId: string): ChainItem[] {
  if (chain) return chain;
  const withChain = [...events].reverse().find((e) => e.on_behalf_of || e.delegation_chain?.length);
  const out: ChainItem[] = [];
  if (withChain?.on_behalf_of) out.push({ id: withChain.on_behalf_of, kind: 'person' });
  for (const id of withChain?.delegation_chain ?? []) if (id !== agentId) out.push({ id, kind: 'agent' });
  out.push({ id: agentId, kind: 'agent' });
  return out;
}

export function DelegationChain({ links }: { links: ChainItem[] }) {
  if (links.length === 0) return <p>No delegation recorded.</p>;
  return (
    <ol class="chain" aria-label="Delegation chain, from the person to the acting agent" data-testid="delegation-chain">
      {links.map((l, i) => (
        <li key={`${l.id}-${i}`} class={`link ${l.kind}${l.registered === false ? ' unregistered' : ''}`} data-testid="chain-link">
          <span class="kind">{l.kind === 'person' ? 'Person' : 'Agent'}</span>{' '}
          {l.kind === 'agent' ? <a href={agentPath(l.id)}>{l.id}</a> : <span class="id">{l.id}</span>}
          {l.registered === false && <span class="badge warn"> not in the registry</span>}
          {l.owner && <span class="owner"> owner {l.owner}</span>}
          {i < links.length - 1 && (
            <span class="arrow" aria-hidden="true">
              →
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
