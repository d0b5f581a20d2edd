export * from './grouper.ts';
export * from './incident-id.ts';
export * from './risk.ts';
export * from './title.ts';
