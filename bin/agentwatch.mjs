#!/usr/bin/env node
// Entry point for `npx agentwatch`: registers the tsx loader so the TypeScript sources run as they are
// (no build step between `npm ci` and a working CLI), then hands over to the CLI package.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/src/main.ts');
