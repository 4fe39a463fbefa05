import { expect, test } from "bun:test";
import type { ToExportWorker } from "./export-protocol.ts";
import { SpanQueue, type ExportPort } from "./span-queue.ts";
import type { SpanRecord } from "./span-record.ts";

/** A worker that takes messages and answers only when told to: a stalled one never does. */
class FakeWorker extends EventTarget implements ExportPort {
  readonly received: ToExportWorker[] = [];
  terminated = false;
  postMessage(message: ToExportWorker): void {
    this.received.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  unref(): void {}
  answer(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
  spans(): SpanRecord[] {
    return this.received.flatMap((m) => (m.kind === "spans" ? (JSON.parse(m.json) as SpanRecord[]) : []));
  }
}

const record = (spanId: string): SpanRecord => ({ name: "x", kind: "server", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId, start: 1, end: 2 });
const options = { maxQueued: 4, batchSize: 2, flushMs: 60_000, onError: () => {} };

test("spans go to the worker a batch per message", () => {
  const worker = new FakeWorker();
  const queue = new SpanQueue(worker, options);
  queue.add(record("a1"));
  expect(worker.received).toHaveLength(0);
  queue.add(record("a2"));
  expect(worker.received).toMatchObject([{ kind: "spans", count: 2 }]);
  expect(worker.spans().map((r) => r.spanId)).toEqual(["a1", "a2"]);
  void queue.close(0);
});

test("a stalled worker costs dropped spans, counted, not memory", () => {
  const worker = new FakeWorker();
  const queue = new SpanQueue(worker, options);
  for (let i = 0; i < 10; i++) queue.add(record(`b${i}`));
  expect(worker.spans()).toHaveLength(4);
  expect(queue.dropped).toBe(6);
  // Once the worker takes a batch, there is room again.
  worker.answer({ kind: "taken", count: 2, dropped: 0 });
  queue.add(record("c1"));
  queue.add(record("c2"));
  expect(worker.spans()).toHaveLength(6);
  expect(queue.dropped).toBe(6);
  void queue.close(0);
});

test("close hands over what is queued and waits for the worker's export, within its budget", async () => {
  const worker = new FakeWorker();
  const queue = new SpanQueue(worker, options);
  queue.add(record("d1"));
  const closing = queue.close(5_000);
  expect(worker.received.map((m) => m.kind)).toEqual(["spans", "close"]);
  worker.answer({ kind: "closed" });
  await closing;
  expect(worker.terminated).toBe(true);

  const stalled = new SpanQueue(new FakeWorker(), options);
  const started = performance.now();
  await stalled.close(50);
  expect(performance.now() - started).toBeLessThan(1_000);
  stalled.add(record("d2"));
  expect(stalled.dropped).toBe(1);
});
