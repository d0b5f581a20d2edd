import { DeliveryError } from './transport.ts';

/** A transient DeliveryError naming the receiver and the socket's own error code (ECONNREFUSED, ECONNRESET, ...). */
export function syslogFailure(address: string, what: string, cause?: Error): DeliveryError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const detail = cause ? `: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ''}` : '';
  return new DeliveryError(`syslog ${address}: ${what}${detail}`, { permanent: false });
}
