// Memory under sustained load: one producer and one consumer in this process move N messages of ~1 KiB
// with headers through a real broker at full speed, the consumer reading while the producer writes (at
// most 50k messages ahead, so the pipeline is steady rather than a burst then a catch-up). Every 100k consumed
// messages the JS heap is collected (Bun.gc(true)) and the process RSS sampled. A leak of anything per
// message (a native message, event or header list not freed, a pending send never released) would show as
// RSS that keeps climbing; after warm-up it should stay flat. At the end both clients are closed and
// librdkafka must report no client left alive.
//
// Usage: bun bench/kafka-soak.ts [messages] [warm-up messages]
import { allClientsDestroyed } from "../src/kafka/library.ts";
import { Consumer } from "../src/kafka/consumer.ts";
import { headerText } from "../src/kafka/message-decoder.ts";
import { Producer } from "../src/kafka/producer.ts";
import { BENCH_JVM_OPTS, benchBroker } from "./support/broker.ts";
import { createTopic, uniqueTopic } from "../test/support/topics.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const warmUp = Number(process.argv[3] ?? 200_000);
const SAMPLE_EVERY = 100_000;
const WINDOW = 10_000;
const MAX_LAG = 50_000;
const PARTITIONS = 4;
const MiB = 1024 * 1024;

const value = (i: number) =>
  JSON.stringify({
    event_id: crypto.randomUUID(),
    event_type: "task.created",
    data: { task_id: `task-${i}`, title: "Review quarterly report ".repeat(38) },
  });

interface Sample {
  consumed: number;
  produced: number;
  seconds: number;
  rss: number;
  heap: number;
}

const broker = await benchBroker(BENCH_JVM_OPTS);
const bootstrap = broker.bootstrap;

try {
  const topic = await createTopic(bootstrap, uniqueTopic("soak"), PARTITIONS);
  const payloads = Array.from({ length: 1000 }, (_, i) => value(i));
  const producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": "5" });
  const consumer = new Consumer({ groupId: uniqueTopic("soak-group"), properties: { "bootstrap.servers": bootstrap } });
  consumer.subscribe([topic]);
  console.error(`${total} messages of ~${Buffer.byteLength(payloads[0]!)} bytes with headers, ${PARTITIONS} partitions`);

  // The producer stays at most MAX_LAG messages ahead of the consumer, so the run is a steady pipeline
  // rather than a burst of writes followed by a long catch-up read.
  let produced = 0;
  let consumed = 0;
  let sent = 0;
  let parked = 0;
  let sendNext: () => void = () => {};
  const producing = new Promise<void>((resolve, reject) => {
    sendNext = (): void => {
      if (sent >= total) return;
      if (sent - consumed >= MAX_LAG) {
        parked++;
        return;
      }
      const i = sent++;
      producer
        .send({ topic, key: `task-${i % 1000}`, value: payloads[i % 1000]!, headers: { event_type: "task.created", seq: String(i) } })
        .then(() => {
          if (++produced === total) resolve();
          else sendNext();
        }, reject);
    };
    for (let i = 0; i < Math.min(WINDOW, total); i++) sendNext();
  });

  const samples: Sample[] = [];
  const start = performance.now();
  const sample = (consumed: number) => {
    Bun.gc(true);
    const memory = process.memoryUsage();
    samples.push({ consumed, produced, seconds: (performance.now() - start) / 1000, rss: memory.rss, heap: memory.heapUsed });
  };
  sample(0);
  let nextSample = SAMPLE_EVERY;
  const seen = new Uint8Array(total);
  for await (const batch of consumer.batches(2000)) {
    for (const message of batch) seen[Number(headerText(message, "seq"))] = 1;
    consumed += batch.length;
    for (; parked > 0 && sent - consumed < MAX_LAG; parked--) sendNext();
    await consumer.commit(batch);
    if (consumed >= nextSample) {
      sample(consumed);
      nextSample += SAMPLE_EVERY;
    }
    if (consumed >= total) break;
  }
  await producing;
  await consumer.close();
  await producer.close();
  const missing = total - seen.reduce((sum, bit) => sum + bit, 0);
  const destroyed = allClientsDestroyed(5000);
  Bun.gc(true);
  const closedRss = process.memoryUsage().rss;

  console.log("| consumed | produced | seconds | RSS MiB | JS heap MiB |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const s of samples) {
    console.log(`| ${s.consumed} | ${s.produced} | ${s.seconds.toFixed(1)} | ${(s.rss / MiB).toFixed(1)} | ${(s.heap / MiB).toFixed(1)} |`);
  }
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const band = (list: Sample[]) => {
    const rss = list.map((s) => s.rss);
    return `${mib(Math.min(...rss))}–${mib(Math.max(...rss))} MiB (max − min ${mib(Math.max(...rss) - Math.min(...rss))} MiB)`;
  };
  const afterWarmUp = samples.filter((s) => s.consumed >= warmUp);
  const seconds = samples.at(-1)!.seconds;
  console.log(
    `\nRSS after ${warmUp} messages of warm-up: ${band(afterWarmUp)} over ${afterWarmUp.length} samples; ` +
      `while messages were in flight: ${band(afterWarmUp.slice(0, -1))}; the last sample has every queue drained.`,
  );
  console.log(
    `${Math.round(consumed / seconds)} msgs/s end to end; ${missing} missing; every librdkafka client destroyed: ` +
      `${destroyed}; RSS after close ${mib(closedRss)} MiB`,
  );
  if (missing > 0 || !destroyed) process.exitCode = 1;
} finally {
  await broker.stop();
}
