import { Admin } from "../../src/kafka/admin.ts";
import { Consumer, type ConsumedMessage } from "../../src/kafka/consumer.ts";

const decoder = new TextDecoder();

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : decoder.decode(bytes);
}

/**
 * Everything in a topic now, exactly, and nothing written to it: each partition's end offset is asked for
 * first, then the topic is read from the start until every partition reached its end. No quiet period is
 * guessed, so a duplicate anywhere before the end is always seen, and reading it twice reads the same.
 */
export async function readWholeTopic(bootstrap: string, topic: string, partitions = 1): Promise<ConsumedMessage[]> {
  const admin = new Admin({ "bootstrap.servers": bootstrap });
  let ends: Map<number, number>;
  try {
    const offsets = await admin.endOffsets(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    ends = new Map(offsets.map(({ partition, offset }) => [partition, offset]));
  } finally {
    admin.close();
  }
  const done = () => [...ends].every(([partition, end]) => (positions.get(partition) ?? 0) >= end);
  const positions = new Map<number, number>();
  const messages: ConsumedMessage[] = [];
  if (done()) return messages;
  const consumer = new Consumer({ groupId: `reader-${crypto.randomUUID()}`, properties: { "bootstrap.servers": bootstrap } });
  consumer.subscribe([topic]);
  try {
    for await (const batch of consumer.batches(1000)) {
      for (const message of batch) {
        if (message.offset >= (ends.get(message.partition) ?? 0)) continue;
        messages.push(message);
        positions.set(message.partition, message.offset + 1);
      }
      if (done()) break;
    }
  } finally {
    await consumer.close();
  }
  return messages;
}
