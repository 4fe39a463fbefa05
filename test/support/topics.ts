import { Admin } from "../../src/kafka/admin.ts";

let counter = 0;

/** A topic name no other test uses, so tests never see each other's messages. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export async function createTopic(
  bootstrap: string,
  topic: string,
  partitions = 1,
  replicationFactor = 1,
  config?: Record<string, string>,
): Promise<string> {
  const admin = new Admin({ "bootstrap.servers": bootstrap });
  try {
    await admin.createTopics([{ topic, partitions, replicationFactor, config }]);
  } finally {
    admin.close();
  }
  return topic;
}
