import { Zstd } from '@hpcc-js/wasm-zstd';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
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
 * A batch that does not decompress throws {@link UndecodableBatchError}; kafkajs decodes a whole fetch response at
 * once, so the consumer stops with it (see docs/architecture.md, "Compression codecs").
 */

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
