import { agentConsumerProperties } from "../../../src/client-defaults.ts";
import { Consumer } from "../../../src/kafka/consumer.ts";
import { sleep } from "./processes.ts";

/**
 * Commits offset 0 on every partition of `topic` for `group`, so that the group's next member reads the topic
 * again from the start, as if the group were new. Our roles' groups are fixed (the audit role's is always
 * audit-log), so a second agent can read what the first has read only this way. The group must have no
 * other member; the same client settings as the roles', so the broker sees the same group protocol.
 */
export async function rewindGroup(bootstrap: string, group: string, topic: string, partitions: number): Promise<void> {
  const consumer = new Consumer({ groupId: group, properties: agentConsumerProperties({ "bootstrap.servers": bootstrap }, false) });
  try {
    consumer.subscribe([topic]);
    const deadline = performance.now() + 60_000;
    while (consumer.assignment().length < partitions) {
      if (performance.now() > deadline) throw new Error(`group ${group} was not assigned all ${partitions} partitions of ${topic}`);
      await sleep(50);
    }
    await consumer.commit(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  } finally {
    await consumer.close();
  }
}
