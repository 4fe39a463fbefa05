/*
 * The trace index's writer, on a thread of its own: a separate entry point of the compiled binary
 * (scripts/build-binary.sh). Reading back each batch's lines, parsing them and writing their rows cost the
 * audit agent's thread more than the audit itself (1,000,000 events: 101,900 events/s without the index,
 * 16,000 with it on the same thread).
 */
import type { FromIndexWorker, ToIndexWorker } from "./index-protocol.ts";
import { TraceIndex } from "./trace-index.ts";

declare const self: Worker;

let dir = "";
let index: TraceIndex | undefined;
let running: Promise<void> | undefined;
/** The sizes of the files when the last batch was fsynced, not yet indexed up to. */
let pending: Map<string, number> | undefined;
let failing = false;
const stopped = new AbortController();

function say(message: FromIndexWorker): void {
  self.postMessage(message);
}

async function run(): Promise<void> {
  while (pending && !stopped.signal.aborted) {
    const durable = pending;
    pending = undefined;
    try {
      index ??= TraceIndex.open(dir);
      const started = performance.now();
      const { indexed } = await index.catchUp({ durable, signal: stopped.signal });
      if (indexed > 5_000) say({ kind: "log", level: "info", msg: "trace index caught up with the audit log", fields: { lines: indexed, ms: Math.round(performance.now() - started) } });
      if (failing) say({ kind: "log", level: "info", msg: "trace index writable again; caught up", fields: {} });
      failing = false;
    } catch (error) {
      // Once per outage: a full disk would otherwise say this for every batch.
      if (!failing) {
        const reason = error instanceof Error ? error.message : String(error);
        say({ kind: "log", level: "warn", msg: "trace index not updated; the audit log is unaffected and the index catches up later", fields: { reason } });
      }
      failing = true;
      index?.close();
      index = undefined;
    }
  }
}

self.addEventListener("message", (event: MessageEvent<ToIndexWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "start":
      dir = message.dir;
      return;
    case "follow":
      if (stopped.signal.aborted) return;
      pending = new Map(message.durable);
      running ??= run().finally(() => (running = undefined));
      return;
    case "close":
      stopped.abort();
      void (running ?? Promise.resolve()).finally(() => {
        index?.close();
        index = undefined;
        say({ kind: "closed" });
      });
      return;
  }
});

// Bun drops what is posted to a worker before its modules have loaded, which takes a while here: the index's
// modules wait (top-level await) for the runtime's adapters. The follower holds its messages until this.
say({ kind: "ready" });
