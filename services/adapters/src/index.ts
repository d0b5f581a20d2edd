export * from './common.ts';
export * from './types.ts';
