import type { SpanView } from './span-view.ts';

const INVOKE_AGENT = 'invoke_agent';
/** Parent chains longer than this are treated as broken (hostile input cannot make the walk expensive). */
const MAX_CHAIN = 256;

export type AgentSpanMatch = { span: SpanView; how: 'ancestor' | 'enclosing' };

/**
 * Finds the `invoke_agent` span a tool call ran under, within one export: the nearest `invoke_agent`
 * ancestor, following parent ids. If the chain leaves the export first (a parent that was not exported)
 * and `enclosingFallback` is on, the only `invoke_agent` span of the same trace whose time range encloses
 * the tool span.
 */
export class AgentSpanIndex {
  private readonly byId = new Map<string, SpanView>();
  private readonly agentSpansByTrace = new Map<string, SpanView[]>();

  constructor(spans: readonly SpanView[]) {
    for (const span of spans) {
      if (!span.traceId.ok || !span.spanId.ok) continue;
      const key = `${span.traceId.value}:${span.spanId.value}`;
      if (!this.byId.has(key)) this.byId.set(key, span);
      if (isAgentSpan(span)) {
        const list = this.agentSpansByTrace.get(span.traceId.value);
        if (list) list.push(span);
        else this.agentSpansByTrace.set(span.traceId.value, [span]);
      }
    }
  }

  find(span: SpanView, enclosingFallback: boolean): AgentSpanMatch | undefined {
    if (!span.traceId.ok) return undefined;
    const traceId = span.traceId.value;
    const seen = new Set<SpanView>([span]);
    let parentId = span.parentSpanId;
    for (let hops = 0; parentId !== undefined && hops < MAX_CHAIN; hops++) {
      const parent = this.byId.get(`${traceId}:${parentId}`);
      if (parent === undefined || seen.has(parent)) break;
      if (isAgentSpan(parent)) return { span: parent, how: 'ancestor' };
      seen.add(parent);
      parentId = parent.parentSpanId;
    }
    // A chain that reached its root inside the export had no agent span: nothing to guess.
    if (!enclosingFallback || parentId === undefined) return undefined;
    const candidates = (this.agentSpansByTrace.get(traceId) ?? []).filter((a) => a !== span && encloses(a, span));
    return candidates.length === 1 ? { span: candidates[0] as SpanView, how: 'enclosing' } : undefined;
  }
}

function isAgentSpan(span: SpanView): boolean {
  return span.attributes.ok && span.attributes.value.get('gen_ai.operation.name') === INVOKE_AGENT;
}

function encloses(outer: SpanView, inner: SpanView): boolean {
  if (!outer.start.ok || !outer.end.ok || !inner.start.ok) return false;
  const innerEnd = inner.end.ok ? inner.end.value : inner.start.value;
  return outer.start.value <= inner.start.value && innerEnd <= outer.end.value;
}
