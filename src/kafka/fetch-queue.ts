import { ptr, type Pointer } from "../runtime/native.ts";
import { cstr, librdkafka } from "./library.ts";
import type { TopicPartition } from "./partition-list.ts";

const BATCH = 1024;
const TWO_32 = 2 ** 32;

/**
 * The consumer's fetched messages, taken in batches. On the consumer queue each message is its own event
 * (rd_kafka_queue_poll, event_type, event_message_next, event_destroy: four FFI calls a message), and
 * rd_kafka_consume_batch_queue cannot be used there: it would serve rebalance ops itself and, with no
 * rebalance_cb, force an unassign (rd_kafka_poll_cb, RD_KAFKA_Q_CB_RETURN). So every assigned partition's
 * fetch queue is forwarded to this private queue, and rebalances, commit results, logs and errors stay on
 * the consumer queue.
 *
 * The forward is an application forward (RD_KAFKA_Q_F_FWD_APP), which librdkafka keeps when it starts
 * fetching a partition instead of forwarding to the consumer queue; stopping the fetcher clears it, so it
 * is set again at every assignment, before the fetcher starts. rd_kafka_consume_batch_queue advances each
 * partition's application position (rktp_app_pos) as the event API does, which is where fetching resumes
 * after a pause.
 */
export class FetchQueue {
  readonly queue: Pointer;
  private readonly slots = new Uint32Array(BATCH * 2);

  constructor(private readonly rk: Pointer) {
    this.queue = librdkafka().rd_kafka_queue_new(rk)!;
  }

  /** Routes the partitions' messages here; call before assigning them. */
  take(partitions: readonly TopicPartition[]): void {
    this.forward(partitions, this.queue);
  }

  /** Undoes take() for revoked partitions: anything they still deliver stays on their own queues. */
  release(partitions: readonly TopicPartition[]): void {
    this.forward(partitions, null);
  }

  /**
   * Hands up to `max` fetched messages (fewer when fewer are ready) to `accept`, then frees them: `accept`
   * must copy what it keeps. Returns how many were handled.
   */
  drain(max: number, accept: (message: Pointer) => void): number {
    const lib = librdkafka();
    const slots = this.slots;
    const count = Math.max(0, Number(lib.rd_kafka_consume_batch_queue(this.queue, 0, ptr(slots), Math.min(max, BATCH))));
    try {
      for (let i = 0; i < count; i++) accept((slots[2 * i]! + slots[2 * i + 1]! * TWO_32) as Pointer);
    } finally {
      for (let i = 0; i < count; i++) lib.rd_kafka_message_destroy((slots[2 * i]! + slots[2 * i + 1]! * TWO_32) as Pointer);
    }
    return count;
  }

  destroy(): void {
    librdkafka().rd_kafka_queue_destroy(this.queue);
  }

  private forward(partitions: readonly TopicPartition[], to: Pointer | null): void {
    const lib = librdkafka();
    for (const { topic, partition } of partitions) {
      const own = lib.rd_kafka_queue_get_partition(this.rk, ptr(cstr(topic)), partition);
      if (!own) continue;
      lib.rd_kafka_queue_forward(own, to);
      lib.rd_kafka_queue_destroy(own);
    }
  }
}
