/**
 * HashiCorp Vault audit log adapter: file/socket audit device entries (JSON, one per line) to canonical
 * `token_issued`, `token_revoked`, `tool_call` and `policy_decision` events. See README.md.
 */
export { createVaultAdapter } from './adapter.ts';
export { detectVault } from './detect.ts';
export { NO_EXPIRY } from './map-entry.ts';
export { DEFAULT_AGENT_ID_PATHS, DEFAULT_PATH_ACTIONS, parseVaultOptions, VaultOptions, type VaultOptionsInput, VaultPathAction } from './options.ts';
