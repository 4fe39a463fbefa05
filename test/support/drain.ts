import { Consumer, type ConsumedMessage } from "../../src/kafka/consumer.ts";
import { headerText } from "../../src/kafka/message-decoder.ts";
import { Producer } from "../../src/kafka/producer.ts";

const decoder = new TextDecoder();
const END_MARKER = "x-test-end-marker";

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : decoder.decode(bytes);
}

/**
 * Everything in a topic, exactly: an end marker is appended to every partition first, and the topic is
 * read from the start until each partition's marker arrives. No quiet period is guessed, so a duplicate
 * anywhere before the marker is always seen.
 */
export async function readWholeTopic(bootstrap: string, topic: string, partitions = 1): Promise<ConsumedMessage[]> {
  const marker = crypto.randomUUID();
  const producer = new Producer({ "bootstrap.servers": bootstrap });
  try {
    await Promise.all(
      Array.from({ length: partitions }, (_, partition) =>
        producer.send({ topic, partition, value: null, headers: { [END_MARKER]: marker } }),
      ),
    );
  } finally {
    await producer.close();
  }
  const consumer = new Consumer({ groupId: `reader-${marker}`, properties: { "bootstrap.servers": bootstrap } });
  consumer.subscribe([topic]);
  const messages: ConsumedMessage[] = [];
  const ended = new Set<number>();
  try {
    for await (const batch of consumer.batches(1000)) {
      for (const message of batch) {
        if (headerText(message, END_MARKER) === marker) ended.add(message.partition);
        else if (!ended.has(message.partition)) messages.push(message);
      }
      if (ended.size === partitions) break;
    }
  } finally {
    await consumer.close();
  }
  return messages;
}
