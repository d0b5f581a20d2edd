import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { describeKafkaError, isCredentialKafkaError, isRetriableKafkaError, kafkaErrorFields } from '../src/kafka-errors.ts';

// kafkajs' real error classes, constructed as kafkajs does (its typings lag its runtime: loaded untyped).
type ErrorClass = new (...args: unknown[]) => Error;
const require = createRequire(import.meta.url);
const K = require('kafkajs') as Record<string, ErrorClass>;
const cls = (name: string): ErrorClass => {
  const c = K[name];
  if (!c) throw new Error(`kafkajs exports no ${name}`);
  return c;
};
const KafkaJSAggregateError = cls('KafkaJSAggregateError');
const KafkaJSConnectionError = cls('KafkaJSConnectionError');
const KafkaJSCreateTopicError = cls('KafkaJSCreateTopicError');
const KafkaJSError = cls('KafkaJSError');
const KafkaJSGroupCoordinatorNotFound = cls('KafkaJSGroupCoordinatorNotFound');
const KafkaJSNonRetriableError = cls('KafkaJSNonRetriableError');
const KafkaJSNotImplemented = cls('KafkaJSNotImplemented');
const KafkaJSNumberOfRetriesExceeded = cls('KafkaJSNumberOfRetriesExceeded');
const KafkaJSProtocolError = cls('KafkaJSProtocolError');
const KafkaJSRequestTimeoutError = cls('KafkaJSRequestTimeoutError');
const KafkaJSSASLAuthenticationError = cls('KafkaJSSASLAuthenticationError');
// The protocol errors a broker answers with, as kafkajs builds them from the wire's error codes.
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => unknown };
const protocol = (code: number) => new KafkaJSProtocolError(createErrorFromCode(code));
const CODES = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_FOR_PARTITION: 6,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  UNSUPPORTED_SASL_MECHANISM: 33,
  INVALID_REPLICATION_FACTOR: 38,
};
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9092`), { code });

describe('isRetriableKafkaError', () => {
  it.each([
    ['UNKNOWN_TOPIC_OR_PARTITION (topic not created yet)', protocol(CODES.UNKNOWN_TOPIC_OR_PARTITION)],
    ['LEADER_NOT_AVAILABLE', protocol(CODES.LEADER_NOT_AVAILABLE)],
    ['NOT_LEADER_FOR_PARTITION', protocol(CODES.NOT_LEADER_FOR_PARTITION)],
    ['COORDINATOR_LOAD_IN_PROGRESS (a broker just started)', protocol(CODES.COORDINATOR_LOAD_IN_PROGRESS)],
    ['COORDINATOR_NOT_AVAILABLE', protocol(CODES.COORDINATOR_NOT_AVAILABLE)],
    ['NOT_COORDINATOR', protocol(CODES.NOT_COORDINATOR)],
    ['a connection error', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')],
    ['a request timeout', new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out')],
    ['a group coordinator not found yet (NonRetriable in kafkajs)', new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator')],
    [
      'retries exhausted on a connection error',
      new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error'), { retryCount: 5, retryTime: 8000 }),
    ],
    [
      'retries exhausted on a protocol error',
      new KafkaJSNumberOfRetriesExceeded(protocol(CODES.UNKNOWN_TOPIC_OR_PARTITION), { retryCount: 5, retryTime: 8000 }),
    ],
    [
      'a NonRetriable wrapper around a connection error',
      new KafkaJSNonRetriableError('Connection timeout', { cause: new KafkaJSConnectionError('Connection timeout') }),
    ],
    ['a socket refused', socketError('ECONNREFUSED')],
    ['a socket reset', socketError('ECONNRESET')],
    ['a broker host not resolvable yet', socketError('ENOTFOUND')],
    [
      'topic creation failing on leaders for every topic',
      new KafkaJSAggregateError('Topic creation errors', [new KafkaJSCreateTopicError(createErrorFromCode(CODES.LEADER_NOT_AVAILABLE), 'a')]),
    ],
  ])('%s: retriable', (_what, err) => {
    expect(isRetriableKafkaError(err)).toBe(true);
  });

  it.each([
    ['SASL authentication failed', new KafkaJSSASLAuthenticationError('SASL SCRAM SHA256 authentication failed')],
    ['a codec kafkajs does not have', new KafkaJSNotImplemented('LZ4 compression not implemented')],
    ['TOPIC_AUTHORIZATION_FAILED', protocol(CODES.TOPIC_AUTHORIZATION_FAILED)],
    ['GROUP_AUTHORIZATION_FAILED', protocol(CODES.GROUP_AUTHORIZATION_FAILED)],
    ['UNSUPPORTED_SASL_MECHANISM', protocol(CODES.UNSUPPORTED_SASL_MECHANISM)],
    ['INVALID_REPLICATION_FACTOR (a configuration problem)', protocol(CODES.INVALID_REPLICATION_FACTOR)],
    [
      'retries exhausted on an authorization failure',
      new KafkaJSNumberOfRetriesExceeded(protocol(CODES.TOPIC_AUTHORIZATION_FAILED), { retryCount: 5, retryTime: 1 }),
    ],
    ['a bare KafkaJSError (retriable flag by default, cause unknown)', new KafkaJSError('something went wrong')],
    ['a plain Error (a bug, or a source topic that does not exist)', new Error('source topic x not found on the brokers')],
    ['not an error at all', 'ECONNREFUSED'],
    ['undefined', undefined],
    [
      'an aggregate with one fatal error',
      new KafkaJSAggregateError('Topic creation errors', [
        new KafkaJSCreateTopicError(createErrorFromCode(CODES.LEADER_NOT_AVAILABLE), 'a'),
        new KafkaJSCreateTopicError(createErrorFromCode(CODES.TOPIC_AUTHORIZATION_FAILED), 'b'),
      ]),
    ],
  ])('%s: fatal', (_what, err) => {
    expect(isRetriableKafkaError(err)).toBe(false);
  });

  it("kafkajs' TypeError reading a restarting broker's missing metadata is retriable; any other TypeError is not", () => {
    const race = new TypeError("Cannot destructure property 'topicMetadata' of '(intermediate value)' as it is null.");
    expect(isRetriableKafkaError(race)).toBe(true);
    expect(isRetriableKafkaError(new TypeError("Cannot read properties of undefined (reading 'partitions')"))).toBe(false);
  });

  it('stops at a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isRetriableKafkaError(a)).toBe(false);
  });
});

describe('isCredentialKafkaError: refused credentials are waited out, not exited on (no crash loop)', () => {
  it.each([
    ['SASL authentication failed', new KafkaJSSASLAuthenticationError('SASL SCRAM SHA256 authentication failed'), true],
    ['UNSUPPORTED_SASL_MECHANISM', protocol(CODES.UNSUPPORTED_SASL_MECHANISM), true],
    ['retries exhausted on a SASL failure', new KafkaJSNumberOfRetriesExceeded(new KafkaJSSASLAuthenticationError('x'), { retryCount: 1, retryTime: 1 }), true],
    ['TOPIC_AUTHORIZATION_FAILED (an ACL: not a login)', protocol(CODES.TOPIC_AUTHORIZATION_FAILED), false],
    ['a codec kafkajs does not have', new KafkaJSNotImplemented('LZ4 compression not implemented'), false],
    ['a socket refused', socketError('ECONNREFUSED'), false],
  ])('%s: %s', (_what, err, expected) => {
    expect(isCredentialKafkaError(err)).toBe(expected);
  });
});

describe('describeKafkaError', () => {
  it('names the innermost cause, its protocol type and first message line, without a stack', () => {
    const err = new KafkaJSNumberOfRetriesExceeded(protocol(CODES.UNKNOWN_TOPIC_OR_PARTITION), { retryCount: 5, retryTime: 1 });
    const line = describeKafkaError(err);
    expect(line).toBe('KafkaJSProtocolError UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition');
    expect(line).not.toMatch(/\n|at /);
  });
});

describe('kafkaErrorFields', () => {
  it('a broker condition is logged as its reason, anything else whole (with its stack)', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(kafkaErrorFields(refused)).toEqual({ reason: 'KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092' });
    const bug = new TypeError('x is undefined');
    expect(kafkaErrorFields(bug)).toEqual({ err: bug });
  });
});
