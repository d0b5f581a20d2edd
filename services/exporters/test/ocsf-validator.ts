import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OCSF_PROFILES, OCSF_VERSION } from '../src/formats/ocsf.ts';

const SCRIPT = fileURLToPath(new URL('../scripts/ensure-ocsf-schema.sh', import.meta.url));

/**
 * A validator for OCSF Detection Finding (with the profiles our findings declare) built from the OCSF project's schema export of OCSF_VERSION (the script
 * installs it into .cache/ocsf on first use and prints the generated JSON Schema's path). Never a hand-written list.
 */
export function ocsfValidator(): (finding: unknown) => string[] {
  const path = execFileSync('bash', [SCRIPT, OCSF_VERSION, OCSF_PROFILES.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return (finding) => (validate(finding) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}
