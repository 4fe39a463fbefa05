import { ptr, read, type Pointer } from "../runtime/native.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { KafkaProperties } from "./client-config.ts";
import { CommonEvents, createHandle } from "./client-handle.ts";
import type { Connectivity } from "./connectivity.ts";
import {
  RD_KAFKA_ADMIN_OP_CREATETOPICS,
  RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
  RD_KAFKA_ADMIN_OP_LISTOFFSETS,
  RD_KAFKA_EVENT_CREATETOPICS_RESULT,
  RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
  RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
  RD_KAFKA_OFFSET_SPEC_LATEST,
  PARTITION,
  RD_KAFKA_PRODUCER,
  RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
} from "./ffi.ts";
import { KafkaError } from "./errors.ts";
import { cstr, errorFromCode, librdkafka, readCString } from "./library.ts";
import { PollLoop } from "./poll-loop.ts";
import { withPartitionList, type TopicPartition, type TopicPartitionOffset } from "./partition-list.ts";
import { ConfigError } from "../errors.ts";

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config?: Readonly<Record<string, string>>;
}

export interface BrokerNode {
  id: number;
  host: string;
  port: number;
}

export interface ClusterDescription {
  clusterId: string;
  controller: BrokerNode | null;
  brokers: BrokerNode[];
}

const ERRSTR_SIZE = 512;
const RESULT_EVENTS = new Set([RD_KAFKA_EVENT_CREATETOPICS_RESULT, RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT, RD_KAFKA_EVENT_LISTOFFSETS_RESULT]);

/** Cluster administration over its own client handle; results arrive as events on a private queue. */
export class Admin {
  private rk: Pointer | null;
  private readonly queue: Pointer;
  private readonly main: Pointer;
  private readonly common: CommonEvents;
  private readonly loop: PollLoop;
  private readonly waiting = new Map<number, (event: Pointer) => void>();
  private nextId = 1;

  constructor(properties: KafkaProperties, logger: Logger = silentLogger, private readonly timeoutMs = 30_000) {
    this.rk = createHandle(RD_KAFKA_PRODUCER, properties, 0);
    this.queue = librdkafka().rd_kafka_queue_new(this.rk)!;
    this.main = librdkafka().rd_kafka_queue_get_main(this.rk)!;
    this.common = new CommonEvents(this.rk, logger);
    this.loop = new PollLoop(
      () => this.serve(),
      () => (this.waiting.size > 0 ? "awaiting" : "idle"),
      { busyMs: 1, maxBusyMs: 20, idleMs: 200 },
    );
    this.loop.watch(this.queue);
    this.loop.watch(this.main);
  }

  /** Whether this client reaches the cluster, as its statistics and connection errors say. */
  get connectivity(): Connectivity {
    return this.common.connectivity;
  }

  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    const lib = librdkafka();
    const rk = this.handle();
    const errstr = new Uint8Array(ERRSTR_SIZE);
    const newTopics: Pointer[] = [];
    try {
      for (const spec of topics) {
        const topic = lib.rd_kafka_NewTopic_new(ptr(cstr(spec.topic)), spec.partitions, spec.replicationFactor, ptr(errstr), ERRSTR_SIZE);
        if (!topic) throw new ConfigError([`topic ${spec.topic}: ${readCString(ptr(errstr))}`]);
        newTopics.push(topic);
        for (const [name, value] of Object.entries(spec.config ?? {})) {
          const code = lib.rd_kafka_NewTopic_set_config(topic, ptr(cstr(name)), ptr(cstr(value)));
          if (code !== 0) throw errorFromCode(code, `topic ${spec.topic} config ${name}`);
        }
      }
      const array = BigUint64Array.from(newTopics.map((p) => BigInt(p)));
      const event = await this.request(RD_KAFKA_ADMIN_OP_CREATETOPICS, (options, id) =>
        lib.rd_kafka_CreateTopics(rk, ptr(array), newTopics.length, options, this.queue),
      );
      try {
        this.throwIfFailed(event, "create topics");
        const result = lib.rd_kafka_event_CreateTopics_result(event);
        const count = new BigUint64Array(1);
        const results = lib.rd_kafka_CreateTopics_result_topics(result, ptr(count))!;
        const problems: string[] = [];
        for (let i = 0; i < Number(count[0]); i++) {
          const item = read.ptr(results, i * 8) as Pointer;
          const code = lib.rd_kafka_topic_result_error(item);
          if (code === 0 || code === RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
          problems.push(`${lib.rd_kafka_topic_result_name(item)}: ${lib.rd_kafka_topic_result_error_string(item)}`);
          if (problems.length === 1) var first = code;
        }
        if (problems.length > 0) throw errorFromCode(first!, `create topics (${problems.join("; ")})`);
      } finally {
        lib.rd_kafka_event_destroy(event);
      }
    } finally {
      for (const topic of newTopics) lib.rd_kafka_NewTopic_destroy(topic);
    }
  }

  async describeCluster(): Promise<ClusterDescription> {
    const lib = librdkafka();
    const rk = this.handle();
    const event = await this.request(RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER, (options) =>
      lib.rd_kafka_DescribeCluster(rk, options, this.queue),
    );
    try {
      this.throwIfFailed(event, "describe cluster");
      const result = lib.rd_kafka_event_DescribeCluster_result(event);
      const count = new BigUint64Array(1);
      const nodes = lib.rd_kafka_DescribeCluster_result_nodes(result, ptr(count));
      const brokers: BrokerNode[] = [];
      for (let i = 0; i < Number(count[0]); i++) brokers.push(node(read.ptr(nodes!, i * 8) as Pointer));
      const controller = lib.rd_kafka_DescribeCluster_result_controller(result);
      return {
        clusterId: lib.rd_kafka_DescribeCluster_result_cluster_id(result).toString(),
        controller: controller ? node(controller) : null,
        brokers: brokers.sort((a, b) => a.id - b.id),
      };
    } finally {
      lib.rd_kafka_event_destroy(event);
    }
  }

  /** Each partition's end: the offset the next message written to it will get (its high watermark). */
  async endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const lib = librdkafka();
    const rk = this.handle();
    const event = await withPartitionList(
      partitions.map((p) => ({ ...p, offset: RD_KAFKA_OFFSET_SPEC_LATEST })),
      // librdkafka copies the list before the call returns, so it may be freed right after.
      (list) => this.request(RD_KAFKA_ADMIN_OP_LISTOFFSETS, (options) => lib.rd_kafka_ListOffsets(rk, list, options, this.queue)),
    );
    try {
      this.throwIfFailed(event, "list offsets");
      const result = lib.rd_kafka_event_ListOffsets_result(event);
      const count = new BigUint64Array(1);
      const infos = lib.rd_kafka_ListOffsets_result_infos(result, ptr(count))!;
      const offsets: TopicPartitionOffset[] = [];
      for (let i = 0; i < Number(count[0]); i++) {
        const partition = lib.rd_kafka_ListOffsetsResultInfo_topic_partition(read.ptr(infos, i * 8) as Pointer)!;
        const code = read.i32(partition, PARTITION.err);
        const topic = readCString(read.ptr(partition, PARTITION.topic));
        if (code !== 0) throw errorFromCode(code, `list offsets of ${topic}`);
        offsets.push({ topic, partition: read.i32(partition, PARTITION.partition), offset: Number(read.i64(partition, PARTITION.offset)) });
      }
      return offsets;
    } finally {
      lib.rd_kafka_event_destroy(event);
    }
  }

  close(): void {
    const rk = this.rk;
    if (!rk) return;
    this.rk = null;
    this.loop.stop();
    const lib = librdkafka();
    lib.rd_kafka_queue_destroy(this.queue);
    lib.rd_kafka_queue_destroy(this.main);
    lib.rd_kafka_destroy(rk);
  }

  private request(op: number, start: (options: Pointer, id: number) => void): Promise<Pointer> {
    const lib = librdkafka();
    const options = lib.rd_kafka_AdminOptions_new(this.handle(), op)!;
    const errstr = new Uint8Array(ERRSTR_SIZE);
    lib.rd_kafka_AdminOptions_set_request_timeout(options, this.timeoutMs, ptr(errstr), ERRSTR_SIZE);
    if (op === RD_KAFKA_ADMIN_OP_CREATETOPICS) {
      lib.rd_kafka_AdminOptions_set_operation_timeout(options, this.timeoutMs, ptr(errstr), ERRSTR_SIZE);
    }
    const id = this.nextId++;
    // Admin requests are answered in order on our private queue; one at a time keeps the match trivial.
    return new Promise<Pointer>((resolve) => {
      this.waiting.set(id, resolve);
      start(options, id);
      lib.rd_kafka_AdminOptions_destroy(options);
      this.loop.wake();
    });
  }

  private serve(): number {
    if (!this.rk) return 0;
    const lib = librdkafka();
    let handled = 0;
    for (let event = lib.rd_kafka_queue_poll(this.queue, 0); event; event = lib.rd_kafka_queue_poll(this.queue, 0)) {
      handled++;
      const type = lib.rd_kafka_event_type(event);
      if (RESULT_EVENTS.has(type)) {
        const [id, resolve] = this.waiting.entries().next().value!;
        this.waiting.delete(id);
        resolve(event);
      } else {
        this.common.handle(event, type);
        lib.rd_kafka_event_destroy(event);
      }
    }
    for (let event = lib.rd_kafka_queue_poll(this.main, 0); event; event = lib.rd_kafka_queue_poll(this.main, 0)) {
      handled++;
      this.common.handle(event, lib.rd_kafka_event_type(event));
      lib.rd_kafka_event_destroy(event);
    }
    return handled;
  }

  private throwIfFailed(event: Pointer, context: string): void {
    const lib = librdkafka();
    const code = lib.rd_kafka_event_error(event);
    if (code !== 0) throw new KafkaError(code, lib.rd_kafka_event_error_string(event).toString(), { context });
  }

  private handle(): Pointer {
    if (!this.rk) throw new KafkaError(-172, "admin client is closed");
    return this.rk;
  }
}

function node(pointer: Pointer): BrokerNode {
  const lib = librdkafka();
  return { id: lib.rd_kafka_Node_id(pointer), host: lib.rd_kafka_Node_host(pointer).toString(), port: lib.rd_kafka_Node_port(pointer) };
}
