import { createRequire } from 'node:module';
import { Zstd } from '@hpcc-js/wasm-zstd';
import { CompressionTypes } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';

/**
 * Every Kafka compression codec for kafkajs, which ships only gzip: any producer's batches (librdkafka/kcat, Java,
 * Go) are read, and agentwatch can produce with any of them (`kafka_compression`). Registered once, when this module
 * is first imported: every module of the collector that makes a consumer or producer imports it.
 *
 * - snappy: kafkajs-snappy (the KafkaJS project's codec; snappyjs, pure JS): raw blocks (librdkafka) and the xerial
 *   framing of Java producers.
 * - lz4: lz4-napi (lz4_flex; prebuilt binaries from the npm registry, no build): the LZ4 frame format Kafka uses.
 * - zstd: @hpcc-js/wasm-zstd (libzstd compiled to WebAssembly, no build): frames with or without a content size.
 *   node:zlib has zstd only from Node 22.15; this package works on every Node the project runs on.
 *
 * A batch that does not decompress throws {@link UndecodableBatchError}, tagged with its topic, partition and offsets
 * by the patched fetch decoder. kafkajs decodes a whole fetch response before any batch reaches the consumer, so it
 * cannot be skipped to a DLQ: the consumer stops on it (documented in docs/architecture.md, "Compression codecs").
 */

// Node's ESM loader does not see kafkajs' CommonJS export `CompressionCodecs` (a member expression in its
// module.exports literal), so it is taken from require: the same object kafkajs looks codecs up in.
const { CompressionCodecs } = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');

/** The names `kafka_compression` accepts, as kafkajs types. */
export const KAFKA_COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

export type KafkaCompression = keyof typeof KAFKA_COMPRESSION;

/** A record batch whose compressed payload could not be decompressed (corrupt, truncated, or not that codec). */
export class UndecodableBatchError extends Error {
  override name = 'UndecodableBatchError';
  constructor(
    readonly codec: string,
    reason: string,
  ) {
    super(`${codec} record batch could not be decompressed: ${reason}`);
  }
}

/** Where an undecodable batch was: the patched kafkajs fetch decoder tags the error (patches/kafkajs+2.2.4.patch). */
export interface UndecodableBatch {
  error: UndecodableBatchError;
  topic?: string;
  partition?: number;
  firstOffset?: string;
  lastOffset?: string;
}

/** The UndecodableBatchError behind `error` (kafkajs wraps it in retry errors' `cause`) with its place, or null. */
export function undecodableBatch(error: unknown): UndecodableBatch | null {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    if (e instanceof UndecodableBatchError) {
      const at = e as UndecodableBatchError & { topic?: unknown; partition?: unknown; firstOffset?: unknown; lastOffset?: unknown };
      return {
        error: e,
        ...(typeof at.topic === 'string' ? { topic: at.topic } : {}),
        ...(typeof at.partition === 'number' ? { partition: at.partition } : {}),
        ...(typeof at.firstOffset === 'string' ? { firstOffset: at.firstOffset } : {}),
        ...(typeof at.lastOffset === 'string' ? { lastOffset: at.lastOffset } : {}),
      };
    }
    e = (e as Error & { cause?: unknown }).cause;
  }
  return null;
}

/** The one log line for an undecodable batch: where it is, why, and the rule (consumption stops there). */
export function undecodableBatchLine({ error, topic, partition, firstOffset, lastOffset }: UndecodableBatch): string {
  return `undecodable record batch (topic ${topic ?? '?'}, partition ${partition ?? '?'}, offsets ${firstOffset ?? '?'}-${lastOffset ?? '?'}): ${error.message}; consumption stopped, nothing past it is committed`;
}

/** kafkajs consumer retry settings that stop, rather than restart forever, on a batch that does not decompress. */
export const STOP_ON_UNDECODABLE = { retries: 5, restartOnFailure: async (e: Error) => undecodableBatch(e) === null };

/** What kafkajs calls a codec: compress gets its encoder (bytes in `.buffer`), decompress the batch's payload. */
interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Runs a decompression, turning whatever the library throws (or an empty result) into an UndecodableBatchError. */
async function decompressed(codec: string, payload: Buffer, run: () => Buffer | Uint8Array | Promise<Buffer | Uint8Array>): Promise<Buffer> {
  let out: Buffer | Uint8Array;
  try {
    out = await run();
  } catch (e) {
    throw new UndecodableBatchError(codec, e instanceof Error ? e.message : String(e));
  }
  // A batch holds at least one record: nothing out of a non-empty payload means the library gave up silently
  // (lz4-napi returns an empty buffer for some garbage).
  if (out.length === 0 && payload.length > 0) throw new UndecodableBatchError(codec, `${payload.length} bytes decompressed to nothing`);
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

const snappy: KafkaJsCodec = SnappyCodec();

export const snappyCodec: KafkaJsCodec = {
  compress: (encoder) => snappy.compress(encoder),
  decompress: (buffer) => decompressed('snappy', buffer, () => snappy.decompress(buffer)),
};

export const lz4Codec: KafkaJsCodec = {
  compress: async (encoder) => compressFrameSync(encoder.buffer),
  decompress: (buffer) => decompressed('lz4', buffer, () => decompressFrameSync(buffer)),
};

/** Loaded on first use (the WebAssembly module compiles asynchronously). */
let zstd: Promise<Zstd> | null = null;
const loadZstd = (): Promise<Zstd> => {
  zstd ??= Zstd.load();
  return zstd;
};

export const zstdCodec: KafkaJsCodec = {
  compress: async (encoder) => {
    const out = (await loadZstd()).compress(encoder.buffer);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  },
  decompress: async (buffer) => {
    const z = await loadZstd();
    return decompressed('zstd', buffer, () => z.decompress(buffer));
  },
};

/** Gzip is kafkajs' own, wrapped only so a corrupt payload is reported like the others. */
const gzip = (CompressionCodecs[CompressionTypes.GZIP] as () => KafkaJsCodec)();
const gzipCodec: KafkaJsCodec = {
  compress: (encoder) => gzip.compress(encoder),
  decompress: (buffer) => decompressed('gzip', buffer, () => gzip.decompress(buffer)),
};

CompressionCodecs[CompressionTypes.GZIP] = () => gzipCodec;
CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
