import { ptr, read, type Pointer } from "bun:ffi";
import { PARTITION, PARTITION_LIST } from "./ffi.ts";
import { cstr, librdkafka, readCString } from "./library.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read, i.e. the last processed offset + 1. */
  offset: number;
}

export interface TopicPartitionResult extends TopicPartition {
  offset: number;
  error: number;
}

export function partitionKey({ topic, partition }: TopicPartition): string {
  return `${topic}\u0000${partition}`;
}

/** A native rd_kafka_topic_partition_list_t; the caller destroys it with destroyPartitionList. */
export function toPartitionList(partitions: ReadonlyArray<TopicPartition | TopicPartitionOffset>): Pointer {
  const lib = librdkafka();
  const list = lib.rd_kafka_topic_partition_list_new(Math.max(1, partitions.length))!;
  for (const entry of partitions) {
    const topic = ptr(cstr(entry.topic));
    lib.rd_kafka_topic_partition_list_add(list, topic, entry.partition);
    if ("offset" in entry) lib.rd_kafka_topic_partition_list_set_offset(list, topic, entry.partition, entry.offset);
  }
  return list;
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
    result.push({
      topic: readCString(read.ptr(elems, base + PARTITION.topic)),
      partition: read.i32(elems, base + PARTITION.partition),
      offset: Number(read.i64(elems, base + PARTITION.offset)),
      error: read.i32(elems, base + PARTITION.err),
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
