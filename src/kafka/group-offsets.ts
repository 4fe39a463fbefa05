import { ptr, read, type Pointer } from "../runtime/native.ts";
import { RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT } from "./ffi.ts";
import { KafkaError } from "./errors.ts";
import { cstr, errorFromCode, librdkafka } from "./library.ts";
import { readPartitionList, withPartitionList, type TopicPartition, type TopicPartitionResult } from "./partition-list.ts";

interface Pending {
  resolve(offsets: TopicPartitionResult[]): void;
  reject(error: KafkaError): void;
}

const ERRSTR_SIZE = 512;

/**
 * A group's committed offsets, with their metadata, read through the admin API on the consumer's own handle
 * and answered on a private queue: rd_kafka_committed() would block the JS thread until the coordinator answers.
 */
export class GroupOffsets {
  readonly queue: Pointer;
  private readonly pending: Pending[] = [];

  constructor(
    private readonly rk: Pointer,
    private readonly groupId: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.queue = librdkafka().rd_kafka_queue_new(rk)!;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** The committed offset (-1001 when none) and metadata of each partition. */
  read(partitions: readonly TopicPartition[]): Promise<TopicPartitionResult[]> {
    const lib = librdkafka();
    return new Promise((resolve, reject) => {
      const request = withPartitionList(partitions, (list) => lib.rd_kafka_ListConsumerGroupOffsets_new(ptr(cstr(this.groupId)), list));
      if (!request) return reject(new KafkaError(-1, "could not make a ListConsumerGroupOffsets request"));
      const options = lib.rd_kafka_AdminOptions_new(this.rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS)!;
      const errstr = new Uint8Array(ERRSTR_SIZE);
      lib.rd_kafka_AdminOptions_set_request_timeout(options, this.timeoutMs, ptr(errstr), ERRSTR_SIZE);
      const requests = BigUint64Array.of(BigInt(request));
      this.pending.push({ resolve, reject });
      lib.rd_kafka_ListConsumerGroupOffsets(this.rk, ptr(requests), 1, options, this.queue);
      lib.rd_kafka_AdminOptions_destroy(options);
      lib.rd_kafka_ListConsumerGroupOffsets_destroy(request);
    });
  }

  /** Answers the requests whose results arrived (in order: one result per request); returns how many. */
  serve(): number {
    const lib = librdkafka();
    let handled = 0;
    for (let event = lib.rd_kafka_queue_poll(this.queue, 0); event; event = lib.rd_kafka_queue_poll(this.queue, 0)) {
      handled++;
      const pending = this.pending.shift();
      try {
        if (lib.rd_kafka_event_type(event) !== RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT) continue;
        const code = lib.rd_kafka_event_error(event);
        if (code !== 0) {
          pending?.reject(new KafkaError(code, lib.rd_kafka_event_error_string(event).toString(), { context: "committed offsets" }));
          continue;
        }
        const result = lib.rd_kafka_event_ListConsumerGroupOffsets_result(event);
        const count = new BigUint64Array(1);
        const groups = lib.rd_kafka_ListConsumerGroupOffsets_result_groups(result, ptr(count));
        const group = groups && Number(count[0]) > 0 ? (read.ptr(groups, 0) as Pointer) : null;
        const error = group ? takeGroupError(group) : new KafkaError(-1, "no group in the answer");
        if (error) pending?.reject(error);
        else pending?.resolve(readPartitionList(lib.rd_kafka_group_result_partitions(group!)));
      } finally {
        lib.rd_kafka_event_destroy(event);
      }
    }
    return handled;
  }

  destroy(): void {
    for (const pending of this.pending.splice(0)) pending.reject(errorFromCode(-172, "committed offsets"));
    librdkafka().rd_kafka_queue_destroy(this.queue);
  }
}

/** The group's own error, which belongs to the result: it is not freed here. */
function takeGroupError(group: Pointer): KafkaError | null {
  const lib = librdkafka();
  const error = lib.rd_kafka_group_result_error(group);
  if (!error) return null;
  return new KafkaError(lib.rd_kafka_error_code(error), lib.rd_kafka_error_string(error).toString(), { context: "committed offsets" });
}
