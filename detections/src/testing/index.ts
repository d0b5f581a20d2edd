export * from './builtin-fixtures.ts';
export * from './fixture-registry.ts';
export * from './fixtures.ts';
