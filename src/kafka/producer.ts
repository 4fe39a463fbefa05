import { ptr, read, type Pointer } from "../runtime/native.ts";
import { silentLogger, type Logger } from "../log.ts";
import { producerProperties, type KafkaProperties } from "./client-config.ts";
import { CommonEvents, createHandle } from "./client-handle.ts";
import type { Connectivity } from "./connectivity.ts";
import {
  MESSAGE,
  RD_KAFKA_EVENT_DR,
  RD_KAFKA_MSG_F_COPY,
  RD_KAFKA_PARTITION_UA,
  RD_KAFKA_PRODUCER,
  RD_KAFKA_PURGE_F_INFLIGHT,
  RD_KAFKA_PURGE_F_QUEUE,
  RD_KAFKA_RESP_ERR__QUEUE_FULL,
} from "./ffi.ts";
import { KafkaError } from "./errors.ts";
import { cstr, errorFromCode, librdkafka, takeError } from "./library.ts";
import { PollLoop } from "./poll-loop.ts";
import { MessageEncoder, type Headers } from "./message-encoder.ts";
import { PendingSends } from "./pending-sends.ts";

export interface ProducerRecord {
  topic: string;
  key?: string | Uint8Array | null;
  /** null writes a tombstone. */
  value: string | Uint8Array | null;
  headers?: Headers;
  partition?: number;
}

export interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
}

interface Pending {
  topic: string;
  resolve(report: DeliveryReport): void;
  reject(error: KafkaError): void;
}

interface Waiting {
  record: ProducerRecord;
  pending: Pending;
}

const DR_BATCH = 4096;
const TWO_32 = 2 ** 32;
const EVENTS_PER_TURN = 256;

/**
 * An idempotent, acks=all producer. `send` resolves only once the broker has the message on every
 * in-sync replica, with its partition and offset; it rejects with librdkafka's error otherwise.
 */
export class Producer {
  private rk: Pointer | null;
  private readonly queue: Pointer;
  private readonly common: CommonEvents;
  private readonly loop: PollLoop;
  private readonly encoder = new MessageEncoder();
  private readonly topics = new Map<string, Pointer>();
  private lastTopic = "";
  private lastTopicHandle: Pointer | null = null;
  private readonly pending = new PendingSends<Pending>();
  // Sends that met a full local queue wait here, in order, so a full queue never drops or reorders.
  private readonly waiting: Waiting[] = [];
  private readonly drArray = new Uint32Array(DR_BATCH * 2);
  private closing: Promise<{ unflushed: number }> | undefined;
  private flushWaiters: Array<() => void> = [];

  constructor(properties: KafkaProperties, private readonly logger: Logger = silentLogger) {
    this.rk = createHandle(RD_KAFKA_PRODUCER, producerProperties(properties), RD_KAFKA_EVENT_DR);
    this.queue = librdkafka().rd_kafka_queue_get_main(this.rk)!;
    this.common = new CommonEvents(this.rk, logger);
    this.loop = new PollLoop(
      () => this.serve(),
      () => (this.inFlight > 0 ? "awaiting" : "idle"),
    );
    this.loop.watch(this.queue);
  }

  /** Whether this client reaches the cluster, as its statistics and connection errors say. */
  get connectivity(): Connectivity {
    return this.common.connectivity;
  }

  /** True once librdkafka reported a fatal error: every later send is rejected with it. */
  get failed(): boolean {
    return this.common.fatal !== undefined;
  }

  /** Messages handed to librdkafka whose delivery is not yet known, plus those waiting for queue space. */
  get inFlight(): number {
    return this.pending.size + this.waiting.length;
  }

  send(record: ProducerRecord): Promise<DeliveryReport> {
    return new Promise<DeliveryReport>((resolve, reject) => {
      const pending: Pending = { topic: record.topic, resolve, reject };
      if (this.closing || !this.rk) return reject(new KafkaError(-172, "producer is closed", { context: "send" }));
      if (this.common.fatal) return reject(this.common.fatal);
      if (this.waiting.length > 0) {
        this.waiting.push({ record, pending });
      } else if (!this.produce(record, pending)) {
        this.waiting.push({ record, pending });
      }
      this.loop.wake();
    });
  }

  /** Resolves when every message sent so far has its delivery report. */
  flush(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.loop.wake();
    });
  }

  /**
   * Flushes, then frees the native handle. Sends that cannot be delivered within `timeoutMs` are rejected;
   * `unflushed` says how many.
   */
  close(timeoutMs = 30_000): Promise<{ unflushed: number }> {
    this.closing ??= this.shutDown(timeoutMs);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<{ unflushed: number }> {
    const rk = this.rk;
    if (!rk) return { unflushed: 0 };
    const lib = librdkafka();
    let unflushed = 0;
    const timer = setTimeout(() => {
      unflushed = this.inFlight;
      lib.rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      for (const { pending } of this.waiting.splice(0)) {
        pending.reject(new KafkaError(-152, "producer closed before the message could be queued"));
      }
    }, timeoutMs);
    await this.flush();
    clearTimeout(timer);
    this.loop.stop();
    for (const topic of this.topics.values()) lib.rd_kafka_topic_destroy(topic);
    this.topics.clear();
    lib.rd_kafka_queue_destroy(this.queue);
    this.rk = null;
    lib.rd_kafka_destroy(rk);
    return { unflushed };
  }

  /** Hands one record to librdkafka; false when its queue is full and the record must wait. */
  private produce(record: ProducerRecord, pending: Pending): boolean {
    const id = this.pending.add(pending);
    const encoder = this.encoder;
    const count = encoder.encode(
      this.topicHandle(record.topic),
      record.partition ?? RD_KAFKA_PARTITION_UA,
      record.key ?? null,
      record.value,
      record.headers,
      id,
      RD_KAFKA_MSG_F_COPY,
    );
    const error = takeError(librdkafka().rd_kafka_produceva(this.rk, encoder.address, count), "send");
    if (!error) return true;
    this.pending.take(id);
    if (error.code === RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    pending.reject(error);
    return true;
  }

  private topicHandle(topic: string): Pointer {
    if (topic === this.lastTopic && this.lastTopicHandle) return this.lastTopicHandle;
    let handle = this.topics.get(topic);
    if (!handle) {
      handle = librdkafka().rd_kafka_topic_new(this.rk, ptr(cstr(topic)), null)!;
      if (!handle) throw new KafkaError(-1, `cannot create a handle for topic ${topic}`);
      this.topics.set(topic, handle);
    }
    this.lastTopic = topic;
    this.lastTopicHandle = handle;
    return handle;
  }

  private serve(): number {
    if (!this.rk) return 0;
    const lib = librdkafka();
    let handled = 0;
    for (; handled < EVENTS_PER_TURN; handled++) {
      const event = lib.rd_kafka_queue_poll(this.queue, 0);
      if (!event) break;
      const type = lib.rd_kafka_event_type(event);
      if (type === RD_KAFKA_EVENT_DR) this.deliver(event);
      else this.common.handle(event, type);
      lib.rd_kafka_event_destroy(event);
    }
    this.retryWaiting();
    if (this.inFlight === 0 && this.flushWaiters.length > 0) {
      for (const resolve of this.flushWaiters.splice(0)) resolve();
    }
    return handled;
  }

  private deliver(event: Pointer): void {
    const lib = librdkafka();
    const messages = this.drArray;
    for (;;) {
      const count = Number(lib.rd_kafka_event_message_array(event, ptr(messages), DR_BATCH));
      if (count === 0) return;
      for (let i = 0; i < count; i++) {
        const message = (messages[2 * i]! + messages[2 * i + 1]! * TWO_32) as Pointer;
        const pending = this.pending.take(read.ptr(message, MESSAGE._private));
        if (!pending) continue;
        const err = read.i32(message, MESSAGE.err);
        if (err === 0) {
          pending.resolve({
            topic: pending.topic,
            partition: read.i32(message, MESSAGE.partition),
            offset: read.u32(message, MESSAGE.offset) + read.i32(message, MESSAGE.offset + 4) * TWO_32,
          });
        } else {
          pending.reject(errorFromCode(err, `delivery to ${pending.topic}`));
        }
      }
      if (count < DR_BATCH) return;
    }
  }

  private retryWaiting(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (!this.produce(next.record, next.pending)) return;
      this.waiting.shift();
    }
  }
}
