export * from './fixtures.ts';
export * from './fixture-registry.ts';
