import type { ExporterConfig } from '@agentwatch/schemas';
import { CliError } from './load.ts';
import { readCertificateAndKey, readCertificateFile, readPasswordFile } from './setting-files.ts';

/** What an exporter needs besides its config: its secret and TLS material, read once at start-up. */
export interface ExporterSecrets {
  /** The HEC token or the webhook HMAC secret (undefined for the other types). */
  secret?: string;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized: boolean };
}

/**
 * Reads each exporter's secret (`token_file`/`token_env`, `secret_file`/`secret_env`) and TLS files, so a missing or
 * empty one stops `up` with one line naming `exporters[i].<setting>` (never the value) instead of failing deliveries.
 */
export function resolveExporterSecrets(exporters: readonly ExporterConfig[], env: NodeJS.ProcessEnv): Map<string, ExporterSecrets> {
  const out = new Map<string, ExporterSecrets>();
  exporters.forEach((c, i) => {
    const at = (setting: string) => `exporters[${i}] (${c.name}).${setting}`;
    const fromEnv = (setting: string, name: string): string => {
      const v = env[name];
      if (v === undefined || v === '') throw new CliError(`${at(setting)}: the environment variable ${name} is not set or empty`, 2);
      return v;
    };
    const s: ExporterSecrets = {};
    if (c.type === 'hec') s.secret = c.token_file ? readPasswordFile(at('token_file'), c.token_file) : fromEnv('token_env', c.token_env as string);
    if (c.type === 'webhook') s.secret = c.secret_file ? readPasswordFile(at('secret_file'), c.secret_file) : fromEnv('secret_env', c.secret_env as string);
    const pair = readCertificateAndKey({ setting: at('cert_file'), path: c.cert_file }, { setting: at('key_file'), path: c.key_file });
    if (c.ca_file || pair || c.servername || !c.tls_reject_unauthorized)
      s.tls = {
        ...(c.ca_file ? { ca: readCertificateFile(at('ca_file'), c.ca_file) } : {}),
        ...(pair ? { cert: pair.cert, key: pair.key } : {}),
        ...(c.servername ? { servername: c.servername } : {}),
        rejectUnauthorized: c.tls_reject_unauthorized,
      };
    out.set(c.name, s);
  });
  return out;
}
