import { Command, InvalidArgumentError, Option } from 'commander';
import { replay } from './commands/replay.ts';
import { rulesTest, rulesValidate } from './commands/rules.ts';
import { simulate } from './commands/simulate.ts';
import { CliError } from './load.ts';
import { INPUT_FORMATS } from './sources/event-file-source.ts';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const positiveInt =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number >= 0, got "${v}"`);
    return n;
  };

const program = new Command()
  .name('agentwatch')
  .description('Monitor for AI-agent identities: registry, lifecycle, credential and behaviour detections.')
  .showHelpAfterError()
  .exitOverride();

program
  .command('replay')
  .description('run every enabled detection over recorded events, in event-time order; alerts as NDJSON')
  .requiredOption('--registry <file>', 'agent registry (YAML or JSON)')
  .addOption(new Option('--input-format <format>', 'input format').choices(INPUT_FORMATS).default('auto'))
  .option('--out <file>', 'write alerts here instead of standard output')
  .option('--rules <dir>', 'extra Sigma rules to run besides the built-in ones')
  .option('--rejects <file>', 'keep every rejected input line here (NDJSON with reason), a dead-letter file')
  .option('--config <file>', 'config file (YAML or JSON, as for up): its adapters:, detection: and rules_dir: apply')
  .option('--suppressions <file>', 'apply these suppressions (YAML or JSON list, alerts.md): matching alerts come out with status suppressed')
  .option('--incidents <file>', 'also write the incidents the alerts form (NDJSON, final state, first_seen order)')
  .argument('<files...>', 'event files: canonical NDJSON or source records (--input-format); .gz accepted')
  .action(
    async (
      files: string[],
      o: {
        registry: string;
        inputFormat: (typeof INPUT_FORMATS)[number];
        out?: string;
        rules?: string;
        rejects?: string;
        config?: string;
        suppressions?: string;
        incidents?: string;
      },
    ) => {
      await replay({
        registry: o.registry,
        inputFormat: o.inputFormat,
        files,
        ...(o.out ? { out: o.out } : {}),
        ...(o.rules ? { rules: o.rules } : {}),
        ...(o.rejects ? { rejects: o.rejects } : {}),
        ...(o.config ? { configFile: o.config } : {}),
        ...(o.suppressions ? { suppressions: o.suppressions } : {}),
        ...(o.incidents ? { incidents: o.incidents } : {}),
        log,
      });
    },
  );

const rules = program.command('rules').description('check and test detection rules');
rules
  .command('validate')
  .argument('[dir]', 'directory of Sigma rules (default: the built-in rules)')
  .description('check rule files')
  .action(async (dir?: string) => {
    process.exitCode = await rulesValidate(dir, log);
  });
rules
  .command('test')
  .argument('[dir]', 'directory of Sigma rules with their .tests.yml files (default: the built-in rules)')
  .description("run each rule's own fixtures")
  .action(async (dir?: string) => {
    process.exitCode = await rulesTest(dir, log);
  });

program
  .command('simulate')
  .description('write a simulated fleet: registry, events with injected attacks, labels')
  .requiredOption('--agents <n>', 'number of agents', positiveInt('--agents'))
  .requiredOption('--days <n>', 'number of days', positiveInt('--days'))
  .requiredOption('--seed <n>', 'random seed', positiveInt('--seed'))
  .requiredOption('--out <dir>', 'output directory')
  .option('--start <time>', 'first day (RFC 3339, midnight UTC)')
  .option('--scale <n>', 'average events per agent and day', positiveInt('--scale'))
  .action(async (o: { agents: number; days: number; seed: number; out: string; start?: string; scale?: number }) => {
    await simulate(o, log);
  });

program
  .command('up')
  .description('run the whole pipeline in one process: HTTP API, store, detections (Kafka when KAFKA_BROKERS is set)')
  .option('--demo', 'also stream a simulated fleet with injected attacks, time-accelerated, and show alerts as they appear')
  .option('--config <file>', 'config file (YAML or JSON)')
  .option('--registry <file>', 'agent registry (hot-reloaded on change)')
  .option('--data <dir>', 'data directory (default ./data)')
  .option('--listen <host:port>', 'HTTP listen address (default 127.0.0.1:7070)')
  .option('--rules <dir>', 'extra Sigma rules')
  .action(async (o: { demo?: boolean; config?: string; registry?: string; data?: string; listen?: string; rules?: string }) => {
    const { up } = await import('./commands/up.ts');
    process.exitCode = await up({ demo: o.demo === true, ...o });
  });

program
  .command('token')
  .description('API tokens (api.md)')
  .command('create')
  .description('create an API token and print it once')
  .addOption(new Option('--role <role>', 'role').choices(['viewer', 'analyst', 'engineer', 'admin']).makeOptionMandatory())
  .option('--name <text>', 'who or what the token is for (shown by GET /v1/tokens)')
  .option('--expires <time>', 'refused from then on: an RFC 3339 time (2027-01-31T00:00:00Z) or a duration from now (30d, 12h)')
  .option('--config <file>', 'config file (YAML or JSON)')
  .option('--data <dir>', 'data directory (default ./data)')
  .action(async (o: { role: 'viewer' | 'analyst' | 'engineer' | 'admin'; name?: string; expires?: string; config?: string; data?: string }) => {
    const { tokenCreate } = await import('./commands/token.ts');
    process.exitCode = await tokenCreate(o);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) {
    log(`agentwatch: ${e.message}`);
    process.exitCode = e.exitCode;
  } else if (
    e &&
    typeof e === 'object' &&
    'code' in e &&
    typeof (e as { code: unknown }).code === 'string' &&
    (e as { code: string }).code.startsWith('commander.')
  ) {
    const ce = e as { exitCode: number; code: string };
    process.exitCode = ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' ? 0 : 2;
  } else {
    throw e;
  }
}
