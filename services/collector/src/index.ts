export { type BackoffOptions, backoffDelay } from './backoff.ts';
export { type BrokerWaitOptions, probeBroker, startWhenBrokerReady } from './broker-wait.ts';
export { type Checkpoint, CheckpointStore, type PartitionOffsets } from './checkpoint-store.ts';
export { CompactedTopicView, ensureTopic } from './compacted-topic.ts';
export { LagMonitor, type PartitionLag, type PositionSource } from './consumer-lag.ts';
export { DLQ_MAX_VALUE_BYTES, type DlqEntry, type DlqOrigin, dlqMessage } from './dlq.ts';
export { GroupHorizon, type PartitionProgress } from './group-horizon.ts';
export { KAFKA_COMPRESSION, type KafkaCompression, UndecodableBatchError } from './kafka-codecs.ts';
export {
  type CollectorStats,
  DEFAULT_ALERTS_TOPIC,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_EVENTS_TOPIC,
  DEFAULT_GROUP_ID,
  KafkaCollector,
  type KafkaCollectorOptions,
} from './kafka-collector.ts';
export { KafkaConnectionState, type KafkaPhase } from './kafka-connection-state.ts';
export { describeKafkaError, isCredentialKafkaError, isRetriableKafkaError, kafkaErrorFields } from './kafka-errors.ts';
export { kafkaLogCreator } from './kafka-log.ts';
export { LiveIncidents, type LiveIncidentsOptions } from './live-incidents.ts';
export {
  type IngestResult,
  LivePipeline,
  type LivePipelineOptions,
  PipelineBrokenError,
  type PipelineWriteBehind,
  type PipelineWriteBehindOptions,
  pipelineWriteBehind,
  type RejectedItem,
} from './live-pipeline.ts';
export { DEFAULT_CHECKPOINTS_TOPIC, KafkaCheckpointStore, type PartitionCheckpoint, type PartitionCheckpointStore } from './partition-checkpoints.ts';
export { PRODUCE_CHUNK_BYTES, sendChunked } from './send-chunked.ts';
export { DEFAULT_SOURCES_GROUP_ID, decodeRecords, type SourceBridgeStats, SourceTopicBridge, type SourceTopicBridgeOptions } from './source-topic-bridge.ts';
export { DEFAULT_TOKENS_TOPIC, TokenFacts } from './token-facts.ts';
export { type Channel, GroupCommit, WriteBehind, WriteBehindFailedError } from './write-behind.ts';
