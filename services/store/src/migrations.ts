import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** infra/clickhouse/migrations of this repository. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/clickhouse/migrations/', import.meta.url));

/** One versioned migration file, `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  /** SHA-256 of the file text (before `{db}` substitution), recorded when applied. */
  checksum: string;
  /** The file's statements, `{db}` still unsubstituted. */
  statements: string[];
}

const FILE_RE = /^(\d{3,})_([A-Za-z0-9_-]+)\.sql$/;

/**
 * Splits a migration file into statements: `--` comment lines are dropped and a statement ends with `;` at the end
 * of a line. (The HTTP interface runs one statement per request, so the file is never sent whole.)
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*--/.test(line)) continue;
    const trimmed = line.trimEnd();
    if (trimmed.endsWith(';')) {
      current.push(trimmed.slice(0, -1));
      const stmt = current.join('\n').trim();
      if (stmt) out.push(stmt);
      current = [];
    } else {
      current.push(line);
    }
  }
  const rest = current.join('\n').trim();
  if (rest) out.push(rest);
  return out;
}

/** Reads `NNN_name.sql` files from `dir`, sorted by version. Duplicate versions are an error. */
export function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    migrations.push({
      version: Number(m[1]),
      name: m[2] as string,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1] as Migration;
    const cur = migrations[i] as Migration;
    if (prev.version === cur.version) throw new Error(`two migrations with version ${cur.version}: ${prev.name}, ${cur.name} (in ${dir})`);
  }
  return migrations;
}

/** The table of applied migrations, in migration form (`{db}`) so cluster mode renders it like the others. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS {db}.schema_migrations (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`;

/** Substitutes the `{db}` placeholder. `database` must already be a validated identifier. */
export const renderStatement = (statement: string, database: string): string => statement.replaceAll('{db}', database);
