import { ptr, read, toArrayBuffer, type Pointer } from "../runtime/native.ts";
import { KafkaError } from "./errors.ts";
import { PARTITION, PARTITION_LIST } from "./ffi.ts";
import { cstr, libc, librdkafka, readCString } from "./library.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read, i.e. the last processed offset + 1. */
  offset: number;
  /** Committed with the offset and read back with it (at most offset.metadata.max.bytes, 4 KiB by default). */
  metadata?: string;
}

export interface TopicPartitionResult extends TopicPartition {
  offset: number;
  error: number;
  metadata: string | undefined;
}

export function partitionKey({ topic, partition }: TopicPartition): string {
  return `${topic}\u0000${partition}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A native rd_kafka_topic_partition_list_t; the caller destroys it with destroyPartitionList. */
export function toPartitionList(partitions: ReadonlyArray<TopicPartition | TopicPartitionOffset>): Pointer {
  const lib = librdkafka();
  const list = lib.rd_kafka_topic_partition_list_new(Math.max(1, partitions.length))!;
  for (const entry of partitions) {
    const topic = ptr(cstr(entry.topic));
    const element = lib.rd_kafka_topic_partition_list_add(list, topic, entry.partition)!;
    if ("offset" in entry) lib.rd_kafka_topic_partition_list_set_offset(list, topic, entry.partition, entry.offset);
    if ("metadata" in entry && entry.metadata !== undefined) setMetadata(element, encoder.encode(entry.metadata));
  }
  return list;
}

/**
 * librdkafka has no setter for a partition's metadata: the application fills the two fields itself, with
 * memory from malloc(), which librdkafka releases with free() along with the list.
 */
function setMetadata(element: Pointer, bytes: Uint8Array): void {
  const c = libc();
  if (!c) throw new KafkaError(-1, "commit metadata needs libc's malloc");
  const memory = c.malloc(Math.max(1, bytes.length));
  if (!memory) throw new KafkaError(-1, "out of memory for commit metadata");
  if (bytes.length > 0) new Uint8Array(toArrayBuffer(memory, 0, bytes.length)).set(bytes);
  const fields = new DataView(toArrayBuffer(element, 0, PARTITION.size));
  fields.setBigUint64(PARTITION.metadata, BigInt(memory), true);
  fields.setBigUint64(PARTITION.metadataSize, BigInt(bytes.length), true);
}

export function destroyPartitionList(list: Pointer): void {
  librdkafka().rd_kafka_topic_partition_list_destroy(list);
}

export function readPartitionList(list: Pointer | null): TopicPartitionResult[] {
  if (!list) return [];
  const count = read.i32(list, PARTITION_LIST.cnt);
  const elems = read.ptr(list, PARTITION_LIST.elems) as Pointer;
  const result: TopicPartitionResult[] = [];
  for (let i = 0; i < count; i++) {
    const base = i * PARTITION.size;
    const metadata = read.ptr(elems, base + PARTITION.metadata) as Pointer | null;
    const metadataSize = Number(read.u64(elems, base + PARTITION.metadataSize));
    result.push({
      topic: readCString(read.ptr(elems, base + PARTITION.topic)),
      partition: read.i32(elems, base + PARTITION.partition),
      offset: Number(read.i64(elems, base + PARTITION.offset)),
      error: read.i32(elems, base + PARTITION.err),
      metadata: metadata && metadataSize > 0 ? decoder.decode(new Uint8Array(toArrayBuffer(metadata, 0, metadataSize)).slice()) : undefined,
    });
  }
  return result;
}

/** Runs `use` with a native list built from `partitions`, always freeing it. */
export function withPartitionList<T>(
  partitions: ReadonlyArray<TopicPartition | TopicPartitionOffset>,
  use: (list: Pointer) => T,
): T {
  const list = toPartitionList(partitions);
  try {
    return use(list);
  } finally {
    destroyPartitionList(list);
  }
}
