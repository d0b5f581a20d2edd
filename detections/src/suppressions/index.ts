export * from './alert-subject.ts';
export * from './suppression-file.ts';
export * from './suppression-hits.ts';
export * from './suppression-set.ts';
