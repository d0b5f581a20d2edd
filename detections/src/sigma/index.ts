/**
 * Sigma rule support: Sigma YAML (detection and correlation rules) compiled into the engine's `Rule`
 * interface, so built-in and Sigma rules run in the same streaming engine. The supported subset is
 * documented in detections/sigma/README.md.
 */
export { compileSigmaDocuments, MAX_CORRELATION_COUNT, mapTag, type SigmaCompileResult, type SigmaRule, type SigmaRuleInfo } from './compile.ts';
export { type CorrelationType, MAX_GROUPS } from './correlation.ts';
export { KNOWN_FIELDS } from './fields.ts';
export { checkCase, loadSigmaDir, runSigmaTests, type SigmaDirLoad, type SigmaTestFailure } from './load.ts';
export { formatYamlPath, type SigmaProblem } from './source.ts';
export { DEFAULT_BASE_TIME, DEFAULT_TEST_AGENT, type SigmaTestCase, type SigmaTestExpect, type SigmaTestFile } from './tests-format.ts';

import type { SigmaProblem } from './source.ts';

/** `file:line: path: message`, one line, for CLIs and logs. */
export const formatSigmaProblem = (p: SigmaProblem): string =>
  `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.path}: ${p.message.replace(/ \(line \d+\)$/, '')}`;
