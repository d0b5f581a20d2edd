import type { Alert } from '@agentwatch/schemas';
import { checkDelivery, type Delivery, deliveryId, epochMs, type Origin } from './delivery.ts';

/**
 * Splunk HTTP Event Collector envelope for `/services/collector/event` (sent with `Authorization: Splunk <token>`).
 * `time` is the alert version's time in epoch seconds with milliseconds; `fields` are indexed fields (strings only, as
 * HEC requires) so searches can filter on them without parsing the event.
 */
export interface HecEnvelope {
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: { delivery: { id: string; exporter: string; alert_id: string; version: number; activity: string }; alert: Alert };
  fields: Record<string, string>;
}

export const HEC_SOURCE = 'agentwatch';
export const HEC_SOURCETYPE = 'agentwatch:alert';

export function alertToHec(alert: Alert, delivery: Delivery, origin: Origin, index?: string): HecEnvelope {
  checkDelivery(delivery);
  return {
    time: epochMs(delivery.time) / 1000,
    host: origin.hostname,
    source: HEC_SOURCE,
    sourcetype: HEC_SOURCETYPE,
    ...(index ? { index } : {}),
    event: {
      delivery: {
        id: deliveryId(alert.alert_id, delivery.version),
        exporter: delivery.exporter,
        alert_id: alert.alert_id,
        version: delivery.version,
        activity: delivery.activity,
      },
      alert,
    },
    fields: {
      alert_id: alert.alert_id,
      alert_version: String(delivery.version),
      activity: delivery.activity,
      rule_id: alert.rule_id,
      category: alert.category,
      severity: alert.severity,
      status: alert.status,
      agent_id: alert.agent_id,
    },
  };
}

/** The HEC request body: envelopes as concatenated JSON objects (HEC's batch form; one envelope is one object). */
export const hecBody = (envelopes: readonly HecEnvelope[]): string => envelopes.map((e) => JSON.stringify(e)).join('\n');
