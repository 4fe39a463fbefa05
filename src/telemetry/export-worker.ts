/*
 * The export worker's entry point: the OpenTelemetry SDK and its exporter run here, on a thread of their own,
 * over the spans the process's other thread records (span-queue.ts). A separate entry point of the compiled
 * binary (scripts/build-binary.sh).
 */
import type { FromExportWorker, ToExportWorker } from "./export-protocol.ts";
import type { SpanRecord } from "./span-record.ts";
import { spanReplay, type SpanReplay } from "./span-replay.ts";

declare const self: Worker;

let replay: SpanReplay | undefined;

function answer(message: FromExportWorker): void {
  self.postMessage(message);
}

self.addEventListener("message", (event: MessageEvent<ToExportWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "start":
      replay = spanReplay(message.config, message.version);
      return;
    case "spans":
      try {
        replay?.replay(JSON.parse(message.json) as SpanRecord[], message.epochAtZero);
      } finally {
        answer({ kind: "taken", count: message.count, dropped: replay?.dropped ?? 0 });
      }
      return;
    case "close":
      void (replay?.shutdown() ?? Promise.resolve())
        .catch(() => {})
        .finally(() => answer({ kind: "closed" }));
      return;
  }
});
