export { INCIDENT_FIXTURES } from './fixtures/index.ts';
export { checkIncidentFixture, type IncidentFixture, runIncidentFixtures } from './fixtures.ts';
export * from './grouper.ts';
export * from './incident-id.ts';
export * from './risk.ts';
export * from './title.ts';
