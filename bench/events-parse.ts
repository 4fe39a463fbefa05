// Parse-and-validate throughput of parseEvent against plain JSON.parse, for ~1 KiB task.created events.
// Both sides decode the bytes with TextDecoder first, as a consumer must. Run: bun bench/events-parse.ts
import { sampleTaskCreated } from "./support/sample-events.ts";
import { parseEvent, serializeEvent } from "../src/events/index.ts";

const TARGET_RATIO = 2;
const ROUNDS = 7;
const ROUND_MS = 400;
const DISTINCT_MESSAGES = 256;

function makeMessage(i: number): Uint8Array {
  const event = sampleTaskCreated(i);
  return serializeEvent(event);
}

const messages = Array.from({ length: DISTINCT_MESSAGES }, (_, i) => makeMessage(i));
const averageBytes = messages.reduce((sum, m) => sum + m.byteLength, 0) / messages.length;

const plainDecoder = new TextDecoder();
let sink = 0;

function plainJsonParse(bytes: Uint8Array): void {
  const value = JSON.parse(plainDecoder.decode(bytes));
  sink += value.event_id.length;
}

function parseAndValidate(bytes: Uint8Array): void {
  const result = parseEvent(bytes);
  if (!result.ok) throw result.error;
  sink += result.event.event_id.length;
}

/** Events per second over one round of about ROUND_MS. */
function measure(run: (bytes: Uint8Array) => void): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (const message of messages) run(message);
    count += messages.length;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// Warm both paths up so the JIT has compiled them before anything is timed.
for (let i = 0; i < 20_000; i++) {
  plainJsonParse(messages[i % messages.length]!);
  parseAndValidate(messages[i % messages.length]!);
}

const plain: number[] = [];
const validated: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved rounds, so drift in CPU frequency or GC affects both sides alike.
  plain.push(measure(plainJsonParse));
  validated.push(measure(parseAndValidate));
}

const plainRate = median(plain);
const validatedRate = median(validated);
const ratio = plainRate / validatedRate;
const format = (rate: number) => `${Math.round(rate).toLocaleString("en-US")} events/s`;

console.log(`task.created, ${Math.round(averageBytes)} bytes, median of ${ROUNDS} rounds of ${ROUND_MS} ms`);
console.log(`  TextDecoder + JSON.parse     ${format(plainRate)}`);
console.log(`  parseEvent (decode+validate) ${format(validatedRate)}`);
const verdict = ratio <= TARGET_RATIO ? "met" : "MISSED";
console.log(`  cost ratio ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x): ${verdict}`);
if (sink === 0) console.log("unreachable");
