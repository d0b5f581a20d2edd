export { type Checkpoint, CheckpointStore, type PartitionOffsets } from './checkpoint-store.ts';
export {
  CollectorFatalError,
  type CollectorStats,
  DEFAULT_ALERTS_TOPIC,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_EVENTS_TOPIC,
  DEFAULT_GROUP_ID,
  KafkaCollector,
  type KafkaCollectorOptions,
} from './kafka-collector.ts';
export { type IngestResult, LivePipeline, type LivePipelineOptions, PipelineBrokenError, type RejectedItem } from './live-pipeline.ts';
