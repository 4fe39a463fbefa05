import { Consumer } from "../../src/kafka/consumer.ts";
import { Changes } from "../../src/transport/testing/memory-source.ts";

export interface CollectedEvent {
  event_id: string;
  event_type: string;
  occurred_at: string;
  data: Record<string, unknown>;
  metadata: { correlation_id: string; causation_id: string; source: string };
}

/**
 * Reads a topic from its start for as long as the test runs, keeping every event: tests then wait for the
 * events they expect (`until`), which arrive as the roles publish them.
 */
export class EventCollector {
  readonly events: CollectedEvent[] = [];
  private readonly consumer: Consumer;
  private readonly changes = new Changes();
  private readonly reading: Promise<void>;

  constructor(bootstrap: string, topic: string) {
    const consumer = new Consumer({ groupId: `collector-${crypto.randomUUID()}`, properties: { "bootstrap.servers": bootstrap } });
    this.consumer = consumer;
    consumer.subscribe([topic]);
    this.reading = (async () => {
      for await (const batch of consumer.batches(1000)) {
        for (const message of batch) {
          if (message.value === null) continue;
          try {
            this.events.push(JSON.parse(new TextDecoder().decode(message.value)));
          } catch {
            // Not an event: not what the test waits for.
          }
        }
        this.changes.notify();
      }
    })();
  }

  of(type: string, where: (event: CollectedEvent) => boolean = () => true): CollectedEvent[] {
    return this.events.filter((event) => event.event_type === type && where(event));
  }

  /** Resolves once `ready` holds, checked again whenever events arrive. */
  until(ready: () => boolean): Promise<void> {
    return this.changes.until(ready);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.reading;
  }
}
