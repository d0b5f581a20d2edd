import { type Document, parseDocument, visit } from 'yaml';

/** Registry texts from this size on are read list item by list item when their layout allows (see {@link readLarge}). */
export const LARGE_REGISTRY_CHARS = 256 * 1024;
/** The top-level lists a registry holds, one entry per agent or person. */
const LIST_KEYS = new Set(['agents', 'people']);

export type YamlRead = { ok: true; value: unknown } | { ok: false; doc: Document };

/**
 * The registry text as plain data. A YAML document tree costs about 50 times its text (bench:scale: 3.4 GB peak for
 * the 70 MB registry of 100,000 agents), so a large registry in the usual layout (a block mapping whose `agents:` and
 * `people:` are block lists) is read one list item at a time: peak memory is then the data plus one item's tree. The
 * result is the same value; whenever the layout is anything else (flow style, several documents, anchors or aliases,
 * an item that does not parse alone), the whole document is read as before, so errors and limits are unchanged.
 */
export function readRegistryYaml(text: string, maxAliasCount: number): YamlRead {
  if (text.length >= LARGE_REGISTRY_CHARS) {
    const value = readLarge(text);
    if (value !== undefined) return { ok: true, value };
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, doc };
  return { ok: true, value: doc.toJS({ maxAliasCount }) };
}

/** Item by item; undefined when the text is not in the layout this handles (the caller reads it whole). */
export function readLarge(text: string): unknown {
  const lines = text.split('\n');
  const rest: string[] = [];
  const lists = new Map<string, unknown[]>();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (/^(---|\.\.\.|%)/.test(line)) return undefined;
    const key = /^([a-z_]+):[ \t]*(#.*)?\r?$/.exec(line)?.[1];
    if (key === undefined || !LIST_KEYS.has(key)) {
      rest.push(line);
      i++;
      continue;
    }
    if (lists.has(key)) return undefined;
    rest.push(`${key}: []`);
    i++;
    // The list: lines up to the next top-level line (a column-0 character other than a comment).
    const items: unknown[] = [];
    let indent = -1;
    let item: string[] = [];
    const flush = (): boolean => {
      if (item.length === 0) return true;
      const v = readItem(item.join('\n'));
      item = [];
      if (v === undefined) return false;
      items.push(v);
      return true;
    };
    for (; i < lines.length; i++) {
      const l = lines[i] as string;
      if (/^[^\s#]/.test(l)) {
        if (!/^-( |\r?$)/.test(l) || (indent !== -1 && indent !== 0)) break;
      }
      const trimmed = l.trimStart();
      if (trimmed === '' || trimmed === '\r' || trimmed.startsWith('#')) {
        if (item.length > 0) item.push(l);
        continue;
      }
      const at = l.length - trimmed.length;
      if (indent === -1) {
        if (!/^-( |\r?$)/.test(trimmed)) return undefined;
        indent = at;
      }
      if (at < indent) return undefined;
      if (at === indent) {
        if (!/^-( |\r?$)/.test(trimmed)) return undefined;
        if (!flush()) return undefined;
      }
      item.push(l);
    }
    if (!flush()) return undefined;
    lists.set(key, items);
  }
  const doc = parseDocument(rest.join('\n'), { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0 || hasAlias(doc)) return undefined;
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const [key, items] of lists) (value as Record<string, unknown>)[key] = items;
  return value;
}

/** One list item (`- ...` with its lines) as data; undefined when it does not stand alone or uses aliases. */
function readItem(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0 || hasAlias(doc)) return undefined;
  const value = doc.toJS() as unknown;
  return Array.isArray(value) && value.length === 1 ? value[0] : undefined;
}

function hasAlias(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}
