export * from './alert.ts';
export * from './common.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './event.ts';
export * from './json-schema.ts';
export * from './parse-event.ts';
export * from './registry.ts';
