export * from './formats/cef.ts';
export * from './formats/delivery.ts';
export * from './formats/hec.ts';
export * from './formats/ocsf.ts';
export * from './formats/syslog.ts';
export * from './formats/webhook.ts';
export * from './transports/syslog.ts';
export * from './transports/transport.ts';
