export * from './common.ts';
export * from './event.ts';
export * from './registry.ts';
export * from './alert.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './parse-event.ts';
