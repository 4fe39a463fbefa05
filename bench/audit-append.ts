// Audit log append throughput: the audit agent's `handle` (batches of 500, one write and one fsync per file and
// batch, hash chain, dedupe) against the spec's AuditLogger.append made durable (per event: open for append,
// write one line, fsync, close). ~1 KiB task.created events. Run: bun bench/audit-append.ts [dir]
// The directory must be on the disk being measured: on tmpfs fsync costs nothing.
import { sampleTaskCreated } from "./support/sample-events.ts";
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditAgent } from "../agents/audit/index.ts";
import { serializeEvent, type DomainEvent } from "../src/events/index.ts";
import { silentLogger } from "../src/log.ts";
import type { Delivery } from "../src/transport/types.ts";

const EVENTS = 200_000;
const BATCH = 500;
const SPEC_EVENTS = 5_000;
const TEMPLATES = 256;

const templates = Array.from({ length: TEMPLATES }, (_, i) => sampleTaskCreated(i));

/** A distinct event (fresh event_id) per index, sharing its template's data. */
function eventAt(i: number): DomainEvent {
  return { ...templates[i % TEMPLATES]!, event_id: crypto.randomUUID() };
}

/** A delivery as the consume loop makes it: the parsed event and the message's bytes. */
function deliveryOf(event: DomainEvent): Delivery {
  const value = serializeEvent(event);
  const message = { topic: "task-events", partition: 0, offset: 0, key: null, value, headers: [], timestamp: -1 };
  return { known: true, event, message, logger: silentLogger, signal: new AbortController().signal };
}

async function agentEventsPerSecond(dir: string): Promise<{ rate: number; bytesPerLine: number }> {
  const batches: Delivery[][] = [];
  for (let i = 0; i < EVENTS; i += BATCH) {
    batches.push(Array.from({ length: BATCH }, (_, j) => deliveryOf(eventAt(i + j))));
  }
  const agent = createAuditAgent({ audit: { logDir: dir }, logger: silentLogger });
  await agent.handle([]); // the start-up read of the (empty) log is not what is measured
  const started = performance.now();
  for (const batch of batches) await agent.handle(batch);
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  const bytes = [...new Bun.Glob("audit-*.jsonl").scanSync(dir)].reduce((sum, name) => sum + Bun.file(join(dir, name)).size, 0);
  return { rate: EVENTS / seconds, bytesPerLine: bytes / EVENTS };
}

function specEventsPerSecond(dir: string): number {
  const events = Array.from({ length: SPEC_EVENTS }, (_, i) => eventAt(i));
  const started = performance.now();
  for (const event of events) {
    const loggedAt = new Date().toISOString();
    const file = openSync(join(dir, `audit-${loggedAt.slice(0, 10)}.jsonl`), "a", 0o640);
    writeSync(file, `${JSON.stringify({ logged_at: loggedAt, event })}\n`);
    fsyncSync(file);
    closeSync(file);
  }
  return SPEC_EVENTS / ((performance.now() - started) / 1000);
}

const root = process.argv[2] ?? tmpdir();
const agentDir = mkdtempSync(join(root, "audit-bench-agent-"));
const specDir = mkdtempSync(join(root, "audit-bench-spec-"));
try {
  const spec = specEventsPerSecond(specDir);
  const agent = await agentEventsPerSecond(agentDir);
  const format = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`directory: ${root}; ~${Math.round(agent.bytesPerLine)} bytes per audit line`);
  console.log(`spec (open, append, fsync, close per event): ${format(spec)} events/s over ${format(SPEC_EVENTS)} events`);
  console.log(`audit agent (batches of ${BATCH}, one write + fsync per file): ${format(agent.rate)} events/s over ${format(EVENTS)} events`);
  console.log(`ratio: ${(agent.rate / spec).toFixed(1)}x`);
} finally {
  rmSync(agentDir, { recursive: true, force: true });
  rmSync(specDir, { recursive: true, force: true });
}
