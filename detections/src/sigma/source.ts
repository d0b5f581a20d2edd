import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';

/** One problem in a Sigma rule or test file: which file, where in it (a YAML path) and what is wrong. */
export interface SigmaProblem {
  file: string;
  /** YAML path, e.g. `detection.selection["tool|re"]`; multi-document files prefix `documents[N].` (0-based). */
  path: string;
  message: string;
  /** 1-based line of the offending key or value, when known (also appended to `message`). */
  line?: number;
}

export type YamlPath = ReadonlyArray<string | number>;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `detection.selection["tool|re"][0]`: plain keys dotted, others quoted in brackets, indexes bracketed. */
export function formatYamlPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** One YAML document of a file, decoded to plain data, able to say on which line a path is. */
export interface SourceDoc {
  readonly file: string;
  /** 0-based position in the file. */
  readonly index: number;
  /** Number of non-empty documents in the file (paths are prefixed when > 1). */
  readonly count: number;
  readonly value: unknown;
  line(path: YamlPath): number | undefined;
}

/** Collects problems for one document, prefixing multi-document paths and adding line numbers. */
export class Reporter {
  private n = 0;

  constructor(
    private readonly doc: Pick<SourceDoc, 'file' | 'index' | 'count' | 'line'>,
    private readonly out: SigmaProblem[],
  ) {}

  get file(): string {
    return this.doc.file;
  }

  add(path: YamlPath, message: string): void {
    const line = this.doc.line(path);
    const where = formatYamlPath(path);
    const p: SigmaProblem = {
      file: this.doc.file,
      path: this.doc.count > 1 ? `documents[${this.doc.index}]${where === '(root)' ? '' : where.startsWith('[') ? where : `.${where}`}` : where,
      message: line !== undefined ? `${message} (line ${line})` : message,
    };
    if (line !== undefined) p.line = line;
    this.out.push(p);
    this.n++;
  }

  /** Problems reported through this reporter. */
  get count(): number {
    return this.n;
  }
}

/**
 * Parses every YAML document of a file (`---` separated, as Sigma allows). Duplicate keys are errors.
 * Empty documents (a trailing `---`) are skipped.
 */
export function parseYamlDocuments(text: string, file: string): { docs: SourceDoc[]; problems: SigmaProblem[] } {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  const problems: SigmaProblem[] = [];
  const list = Array.isArray(parsed) ? parsed : [];
  const kept = list.filter((d) => d.contents !== null || d.errors.length > 0);
  const docs: SourceDoc[] = [];
  kept.forEach((d, index) => {
    if (d.errors.length > 0) {
      for (const e of d.errors) {
        const line = e.linePos?.[0]?.line;
        problems.push({
          file,
          path: kept.length > 1 ? `documents[${index}]` : '(root)',
          message: `not valid YAML: ${e.message.split('\n')[0]}${line !== undefined ? ` (line ${line})` : ''}`,
          ...(line !== undefined ? { line } : {}),
        });
      }
      return;
    }
    const contents = d.contents;
    docs.push({
      file,
      index,
      count: kept.length,
      value: d.toJS({ maxAliasCount: 100 }),
      line(path: YamlPath): number | undefined {
        let node: unknown = contents;
        let offset: number | undefined = rangeStart(node);
        for (const seg of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
            if (!pair) break;
            offset = rangeStart(pair.key) ?? offset;
            node = pair.value;
          } else if (isSeq(node) && typeof seg === 'number') {
            const item = node.items[seg];
            if (item === undefined) break;
            offset = rangeStart(item) ?? offset;
            node = item;
          } else break;
        }
        return offset === undefined ? undefined : lineCounter.linePos(offset).line;
      },
    });
  });
  return { docs, problems };
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const r = (node as { range?: [number, number, number] | null }).range;
    return r ? r[0] : undefined;
  }
  return undefined;
}

/** A plain (non-array, non-null) object. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Type name for messages: `a list`, `a map`, `null`, `a number`... */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `a ${typeof v}`;
}
