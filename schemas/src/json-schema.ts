import { z } from 'zod';
import { Alert } from './alert.ts';
import { AgentwatchConfig } from './config.ts';
import { CanonicalEvent } from './event.ts';
import { Registry } from './registry.ts';

const ID_BASE = 'https://agentwatch.dev/schemas';

/** JSON Schema (draft 2020-12) of each public format, keyed by file stem. */
export function jsonSchemas(): Record<string, unknown> {
  const make = (name: string, schema: z.ZodType, io: 'input' | 'output') => ({
    $id: `${ID_BASE}/${name}.schema.json`,
    ...(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>),
  });
  return {
    event: make('event', CanonicalEvent, 'input'),
    registry: make('registry', Registry, 'input'),
    alert: make('alert', Alert, 'output'),
    config: make('config', AgentwatchConfig, 'input'),
  };
}
