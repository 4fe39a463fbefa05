// The raw librdkafka symbol table. C names stay verbatim here and nowhere else; the rest of src/kafka
// wraps them in typed classes. Only the event API is used (rd_kafka_queue_poll and rd_kafka_event_*), so
// librdkafka never calls into JavaScript: every result is pulled by the JS thread.
import { dlopen, type NativeFunctions } from "../runtime/native.ts";

const [ptr, cstring, i32, i64, u64, u16, none] = ["ptr", "cstring", "i32", "i64", "u64", "u16", "void"] as const;

export const symbols = {
  rd_kafka_version: { args: [], returns: i32 },
  rd_kafka_version_str: { args: [], returns: cstring },
  rd_kafka_err2str: { args: [i32], returns: cstring },
  rd_kafka_err2name: { args: [i32], returns: cstring },

  rd_kafka_conf_new: { args: [], returns: ptr },
  rd_kafka_conf_destroy: { args: [ptr], returns: none },
  rd_kafka_conf_set: { args: [ptr, ptr, ptr, ptr, u64], returns: i32 },
  rd_kafka_conf_get: { args: [ptr, ptr, ptr, ptr], returns: i32 },
  rd_kafka_conf_set_events: { args: [ptr, i32], returns: none },

  rd_kafka_new: { args: [i32, ptr, ptr, u64], returns: ptr },
  rd_kafka_destroy: { args: [ptr], returns: none },
  rd_kafka_name: { args: [ptr], returns: cstring },
  rd_kafka_fatal_error: { args: [ptr, ptr, u64], returns: i32 },
  rd_kafka_wait_destroyed: { args: [i32], returns: i32 },
  rd_kafka_set_log_queue: { args: [ptr, ptr], returns: i32 },

  rd_kafka_queue_get_main: { args: [ptr], returns: ptr },
  rd_kafka_queue_get_consumer: { args: [ptr], returns: ptr },
  rd_kafka_queue_new: { args: [ptr], returns: ptr },
  rd_kafka_queue_destroy: { args: [ptr], returns: none },
  rd_kafka_queue_poll: { args: [ptr, i32], returns: ptr },
  rd_kafka_queue_get_partition: { args: [ptr, ptr, i32], returns: ptr },
  rd_kafka_queue_forward: { args: [ptr, ptr], returns: none },
  rd_kafka_queue_io_event_enable: { args: [ptr, i32, ptr, u64], returns: none },
  rd_kafka_consume_batch_queue: { args: [ptr, i32, ptr, u64], returns: i64 },

  rd_kafka_event_type: { args: [ptr], returns: i32 },
  rd_kafka_event_destroy: { args: [ptr], returns: none },
  rd_kafka_event_message_next: { args: [ptr], returns: ptr },
  rd_kafka_event_message_array: { args: [ptr, ptr, u64], returns: u64 },
  rd_kafka_event_error: { args: [ptr], returns: i32 },
  rd_kafka_event_error_string: { args: [ptr], returns: cstring },
  rd_kafka_event_error_is_fatal: { args: [ptr], returns: i32 },
  rd_kafka_event_opaque: { args: [ptr], returns: ptr },
  rd_kafka_event_log: { args: [ptr, ptr, ptr, ptr], returns: i32 },
  rd_kafka_event_topic_partition_list: { args: [ptr], returns: ptr },
  rd_kafka_event_stats: { args: [ptr], returns: cstring },

  rd_kafka_topic_new: { args: [ptr, ptr, ptr], returns: ptr },
  rd_kafka_topic_destroy: { args: [ptr], returns: none },
  rd_kafka_topic_name: { args: [ptr], returns: cstring },

  rd_kafka_produceva: { args: [ptr, ptr, u64], returns: ptr },
  rd_kafka_outq_len: { args: [ptr], returns: i32 },
  rd_kafka_flush: { args: [ptr, i32], returns: i32 },
  rd_kafka_purge: { args: [ptr, i32], returns: i32 },

  rd_kafka_error_code: { args: [ptr], returns: i32 },
  rd_kafka_error_name: { args: [ptr], returns: cstring },
  rd_kafka_error_string: { args: [ptr], returns: cstring },
  rd_kafka_error_is_fatal: { args: [ptr], returns: i32 },
  rd_kafka_error_is_retriable: { args: [ptr], returns: i32 },
  rd_kafka_error_destroy: { args: [ptr], returns: none },

  rd_kafka_message_destroy: { args: [ptr], returns: none },
  rd_kafka_message_headers: { args: [ptr, ptr], returns: i32 },
  rd_kafka_header_get_all: { args: [ptr, u64, ptr, ptr, ptr], returns: i32 },
  rd_kafka_message_timestamp: { args: [ptr, ptr], returns: i64 },

  rd_kafka_poll_set_consumer: { args: [ptr], returns: i32 },
  rd_kafka_subscribe: { args: [ptr, ptr], returns: i32 },
  rd_kafka_assign: { args: [ptr, ptr], returns: i32 },
  rd_kafka_incremental_assign: { args: [ptr, ptr], returns: ptr },
  rd_kafka_incremental_unassign: { args: [ptr, ptr], returns: ptr },
  rd_kafka_rebalance_protocol: { args: [ptr], returns: cstring },
  rd_kafka_assignment_lost: { args: [ptr], returns: i32 },
  rd_kafka_commit: { args: [ptr, ptr, i32], returns: i32 },
  rd_kafka_commit_queue: { args: [ptr, ptr, ptr, ptr, ptr], returns: i32 },
  rd_kafka_pause_partitions: { args: [ptr, ptr], returns: i32 },
  rd_kafka_resume_partitions: { args: [ptr, ptr], returns: i32 },
  rd_kafka_consumer_close_queue: { args: [ptr, ptr], returns: ptr },
  rd_kafka_consumer_closed: { args: [ptr], returns: i32 },
  rd_kafka_get_watermark_offsets: { args: [ptr, ptr, i32, ptr, ptr], returns: i32 },

  rd_kafka_topic_partition_list_new: { args: [i32], returns: ptr },
  rd_kafka_topic_partition_list_destroy: { args: [ptr], returns: none },
  rd_kafka_topic_partition_list_add: { args: [ptr, ptr, i32], returns: ptr },
  rd_kafka_topic_partition_list_set_offset: { args: [ptr, ptr, i32, i64], returns: i32 },

  rd_kafka_AdminOptions_new: { args: [ptr, i32], returns: ptr },
  rd_kafka_AdminOptions_destroy: { args: [ptr], returns: none },
  rd_kafka_AdminOptions_set_operation_timeout: { args: [ptr, i32, ptr, u64], returns: i32 },
  rd_kafka_AdminOptions_set_request_timeout: { args: [ptr, i32, ptr, u64], returns: i32 },
  rd_kafka_NewTopic_new: { args: [ptr, i32, i32, ptr, u64], returns: ptr },
  rd_kafka_NewTopic_destroy: { args: [ptr], returns: none },
  rd_kafka_NewTopic_set_config: { args: [ptr, ptr, ptr], returns: i32 },
  rd_kafka_CreateTopics: { args: [ptr, ptr, u64, ptr, ptr], returns: none },
  rd_kafka_event_CreateTopics_result: { args: [ptr], returns: ptr },
  rd_kafka_CreateTopics_result_topics: { args: [ptr, ptr], returns: ptr },
  rd_kafka_topic_result_error: { args: [ptr], returns: i32 },
  rd_kafka_topic_result_error_string: { args: [ptr], returns: cstring },
  rd_kafka_topic_result_name: { args: [ptr], returns: cstring },
  rd_kafka_DescribeCluster: { args: [ptr, ptr, ptr], returns: none },
  rd_kafka_event_DescribeCluster_result: { args: [ptr], returns: ptr },
  rd_kafka_DescribeCluster_result_nodes: { args: [ptr, ptr], returns: ptr },
  rd_kafka_DescribeCluster_result_controller: { args: [ptr], returns: ptr },
  rd_kafka_DescribeCluster_result_cluster_id: { args: [ptr], returns: cstring },
  rd_kafka_ListOffsets: { args: [ptr, ptr, ptr, ptr], returns: none },
  rd_kafka_ListConsumerGroupOffsets_new: { args: [ptr, ptr], returns: ptr },
  rd_kafka_ListConsumerGroupOffsets_destroy: { args: [ptr], returns: none },
  rd_kafka_ListConsumerGroupOffsets: { args: [ptr, ptr, u64, ptr, ptr], returns: none },
  rd_kafka_event_ListConsumerGroupOffsets_result: { args: [ptr], returns: ptr },
  rd_kafka_ListConsumerGroupOffsets_result_groups: { args: [ptr, ptr], returns: ptr },
  rd_kafka_group_result_error: { args: [ptr], returns: ptr },
  rd_kafka_group_result_partitions: { args: [ptr], returns: ptr },
  rd_kafka_event_ListOffsets_result: { args: [ptr], returns: ptr },
  rd_kafka_ListOffsets_result_infos: { args: [ptr, ptr], returns: ptr },
  rd_kafka_ListOffsetsResultInfo_topic_partition: { args: [ptr], returns: ptr },
  rd_kafka_Node_id: { args: [ptr], returns: i32 },
  rd_kafka_Node_host: { args: [ptr], returns: cstring },
  rd_kafka_Node_port: { args: [ptr], returns: u16 },

  rd_kafka_mock_cluster_new: { args: [ptr, i32], returns: ptr },
  rd_kafka_mock_cluster_destroy: { args: [ptr], returns: none },
  rd_kafka_mock_cluster_bootstraps: { args: [ptr], returns: cstring },
  rd_kafka_mock_topic_create: { args: [ptr, ptr, i32, i32], returns: i32 },
} as const;

export type Librdkafka = NativeFunctions<typeof symbols>;

export function openLibrdkafka(path: string): { symbols: Librdkafka; close(): void } {
  return dlopen(path, symbols);
}

/** The few libc calls the wrappers need: a socket pair for queue wake-ups, and bulk copies. */
export const libcSymbols = {
  socketpair: { args: [i32, i32, i32, ptr], returns: i32 },
  close: { args: [i32], returns: i32 },
  memcpy: { args: [ptr, ptr, u64], returns: ptr },
  /** For commit metadata, which librdkafka frees with free() when the partition list is destroyed. */
  malloc: { args: [u64], returns: ptr },
} as const;

export type Libc = NativeFunctions<typeof libcSymbols>;

export function openLibc(path: string): Libc {
  return dlopen(path, libcSymbols).symbols;
}

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

/** Values from rdkafka.h that the wrappers need. */
export const RD_KAFKA_PRODUCER = 0;
export const RD_KAFKA_CONSUMER = 1;
export const RD_KAFKA_CONF_OK = 0;

export const RD_KAFKA_EVENT_DR = 0x1;
export const RD_KAFKA_EVENT_FETCH = 0x2;
export const RD_KAFKA_EVENT_LOG = 0x4;
export const RD_KAFKA_EVENT_ERROR = 0x8;
export const RD_KAFKA_EVENT_REBALANCE = 0x10;
export const RD_KAFKA_EVENT_OFFSET_COMMIT = 0x20;
export const RD_KAFKA_EVENT_STATS = 0x40;
export const RD_KAFKA_EVENT_CREATETOPICS_RESULT = 100;
export const RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT = 0x8000;
export const RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT = 0x200000;
export const RD_KAFKA_EVENT_LISTOFFSETS_RESULT = 0x400000;

export const RD_KAFKA_ADMIN_OP_CREATETOPICS = 1;
export const RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS = 14;
export const RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER = 20;
export const RD_KAFKA_ADMIN_OP_LISTOFFSETS = 21;
/** rd_kafka_OffsetSpec_t: the offset after the last message of a partition. */
export const RD_KAFKA_OFFSET_SPEC_LATEST = -1;

export const RD_KAFKA_VTYPE_END = 0;
export const RD_KAFKA_VTYPE_RKT = 2;
export const RD_KAFKA_VTYPE_PARTITION = 3;
export const RD_KAFKA_VTYPE_VALUE = 4;
export const RD_KAFKA_VTYPE_KEY = 5;
export const RD_KAFKA_VTYPE_OPAQUE = 6;
export const RD_KAFKA_VTYPE_MSGFLAGS = 7;
export const RD_KAFKA_VTYPE_HEADER = 9;
/** sizeof(rd_kafka_vu_t): a 4-byte enum, padding, then a 64-byte union. */
export const RD_KAFKA_VU_SIZE = 72;

export const RD_KAFKA_MSG_F_COPY = 0x2;
export const RD_KAFKA_PURGE_F_QUEUE = 0x1;
export const RD_KAFKA_PURGE_F_INFLIGHT = 0x2;
export const RD_KAFKA_PARTITION_UA = -1;

/** Byte offsets of rd_kafka_message_t fields on LP64. */
export const MESSAGE = {
  err: 0,
  rkt: 8,
  partition: 16,
  payload: 24,
  len: 32,
  key: 40,
  key_len: 48,
  offset: 56,
  _private: 64,
  size: 72,
} as const;

/**
 * Byte offsets in librdkafka's private rd_kafka_msg_t (src/rdkafka_msg.h), which starts with the
 * rd_kafka_message_t: rkm_timestamp, rkm_headers (parsed headers) and rkm_u.consumer.binhdrs (the record's
 * header bytes as fetched: a zigzag varint count, then per header a varint key length, the key, a varint
 * value length (-1 for null) and the value). Not public ABI: message-decoder.ts uses them only with this
 * exact librdkafka version and after checking them against the public accessors.
 */
export const MSG_PRIVATE = { timestamp: 96, headers: 104, rawHeadersLength: 120, rawHeaders: 128, size: 136 } as const;
/** The librdkafka version whose private layout MSG_PRIVATE describes (rd_kafka_version()). */
export const MSG_PRIVATE_VERSION = 0x020f01ff;

/** Byte offsets of rd_kafka_topic_partition_list_t and rd_kafka_topic_partition_t fields on LP64. */
export const PARTITION_LIST = { cnt: 0, size: 4, elems: 8 } as const;
export const PARTITION = { topic: 0, partition: 8, offset: 16, metadata: 24, metadataSize: 32, err: 48, size: 64 } as const;

export const RD_KAFKA_RESP_ERR_NO_ERROR = 0;
export const RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS = -175;
export const RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS = -174;
export const RD_KAFKA_RESP_ERR__QUEUE_FULL = -184;
export const RD_KAFKA_RESP_ERR__NOENT = -156;
export const RD_KAFKA_RESP_ERR__NO_OFFSET = -168;
export const RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS = 36;
