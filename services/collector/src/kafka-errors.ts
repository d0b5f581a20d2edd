/**
 * Which Kafka client errors are worth waiting out (a broker starting, restarting, electing leaders, loading its group
 * coordinator, a topic not created yet) and which need a person (bad credentials, no authorisation, an unsupported
 * codec, a bug). The one place that decides whether `up` waits or stops: retriable means wait with backoff, never exit.
 *
 * Judged by duck typing on name, `type`, `code`, `retriable` and `cause`, so it holds for kafkajs and for clients that
 * follow its error API.
 */

/** Kafka protocol error types (kafkajs `type`) that a broker starting, restarting or creating topics answers with. */
const RETRIABLE_PROTOCOL_TYPES = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  // kafkajs' names for COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR.
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'REBALANCE_IN_PROGRESS',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'THROTTLING_QUOTA_EXCEEDED',
]);

/** kafkajs error classes that mean "no broker to talk to right now". */
const RETRIABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  // NonRetriable in kafkajs, but it only means the coordinator is not known yet (a broker still starting).
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
]);

/** Never waited out, whatever flags they carry: they need a person (credentials, ACLs, codecs, versions). */
const FATAL_NAMES = new Set([
  'KafkaJSSASLAuthenticationError',
  'KafkaJSNotImplemented',
  'KafkaJSServerDoesNotSupportApiKey',
  'KafkaJSUnsupportedMagicByteInMessageSet',
  'KafkaJSInvariantViolation',
]);

/** Socket errors from Node: the broker is not (yet) there, or went away; DNS not (yet) resolvable. */
const RETRIABLE_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  type?: unknown;
  code?: unknown;
  retriable?: unknown;
  cause?: unknown;
  errors?: unknown;
}

const asErrorLike = (e: unknown): ErrorLike | null => (typeof e === 'object' && e !== null ? (e as ErrorLike) : null);

/** The error and its causes, outermost first (bounded: a cause cycle cannot loop). */
function causeChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let e = asErrorLike(err);
  while (e && chain.length < 10 && !chain.includes(e)) {
    chain.push(e);
    e = asErrorLike(e.cause);
  }
  return chain;
}

/**
 * True when `err` is a condition that goes away by itself (waited for with backoff); false when it needs a person or
 * is unknown (an unknown error is not waited out forever: it is reported with its stack).
 *
 * Retriable: a protocol error of the types above; a connection, timeout or metadata error; a Node socket error; a
 * KafkaJSNumberOfRetriesExceeded (or any wrapper) whose innermost cause is retriable; an aggregate of retriable errors.
 * Fatal: authentication, authorisation, unsupported codec or API, anything else.
 */
export function isRetriableKafkaError(err: unknown): boolean {
  const chain = causeChain(err);
  if (chain.length === 0) return false;
  if (chain.some((e) => typeof e.name === 'string' && FATAL_NAMES.has(e.name))) return false;
  if (chain.some((e) => typeof e.type === 'string' && /AUTHORIZATION_FAILED|SASL|UNSUPPORTED/.test(e.type))) return false;
  const innermost = chain[chain.length - 1] as ErrorLike;
  if (Array.isArray(innermost.errors) && innermost.errors.length > 0) return innermost.errors.every((e) => isRetriableKafkaError(e));
  if (typeof innermost.type === 'string') return RETRIABLE_PROTOCOL_TYPES.has(innermost.type);
  if (typeof innermost.name === 'string' && RETRIABLE_NAMES.has(innermost.name)) return true;
  if (typeof innermost.code === 'string' && RETRIABLE_SYSTEM_CODES.has(innermost.code)) return true;
  if (isMetadataRace(innermost)) return true;
  // kafkajs marks what it would retry itself (its own classes default to retriable) — but a bare kafkajs
  // KafkaJSError with retriable:true wraps everything from a failed request, so only the flag of a named class counts.
  return innermost.retriable === true && typeof innermost.name === 'string' && innermost.name.startsWith('KafkaJS') && innermost.name !== 'KafkaJSError';
}

/**
 * kafkajs 2.2.4 reading the metadata of a broker that is restarting can fail with a bare TypeError ("Cannot destructure
 * property 'topicMetadata' of '(intermediate value)' as it is null", from admin.listTopics): the broker answered
 * before it had metadata. The fault soak met it at a start during a broker restart; it is the broker's state, not ours.
 */
function isMetadataRace(e: ErrorLike): boolean {
  return e.name === 'TypeError' && typeof e.message === 'string' && /Cannot (destructure|read) propert\S* '?topicMetadata/.test(e.message);
}

/** Protocol error types (kafkajs `type`) of a client the broker will not let in as configured. */
const CREDENTIAL_PROTOCOL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

/**
 * True when the broker refuses this client's credentials (SASL authentication failed, a mechanism it does not offer).
 * Not retriable in itself (it needs a person), yet not a reason to exit either: a restarted `up` would meet the same
 * refusal in a crash loop. `up` keeps waiting, slowly, with the reason in /readyz and one log line, so new credentials
 * or a broker-side fix are picked up without a restart. (An untrusted or refused certificate fails the TLS handshake,
 * which kafkajs reports as a connection error: retriable already.)
 */
export function isCredentialKafkaError(err: unknown): boolean {
  return causeChain(err).some((e) => e.name === 'KafkaJSSASLAuthenticationError' || (typeof e.type === 'string' && CREDENTIAL_PROTOCOL_TYPES.has(e.type)));
}

/** One line for the log and /readyz: the innermost cause's name, type and message (no stack). */
export function describeKafkaError(err: unknown): string {
  const chain = causeChain(err);
  const innermost = chain[chain.length - 1];
  if (!innermost) return String(err);
  const name = typeof innermost.name === 'string' ? innermost.name : 'Error';
  const type = typeof innermost.type === 'string' ? ` ${innermost.type}` : '';
  const message = typeof innermost.message === 'string' ? innermost.message.split('\n')[0] : String(innermost);
  return `${name}${type}: ${message}`;
}

/**
 * Log fields for an error: a retriable broker condition as its one-line reason (no stack: it passes by itself), any
 * other error whole (pino's err serializer, with its stack: a bug or something a person must fix).
 */
export function kafkaErrorFields(err: unknown): { reason: string } | { err: unknown } {
  return isRetriableKafkaError(err) ? { reason: describeKafkaError(err) } : { err };
}
