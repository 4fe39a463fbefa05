// Shared by the audit tests: deliveries as the consume loop builds them, clocks and temporary directories.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, parseEvent } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import type { BatchAgent as Agent } from "../../src/transport/agent.ts";
import type { Delivery } from "../../src/transport/types.ts";
import { tmpfsDisk as mountTmpfs, type TmpfsDisk } from "../../test/support/tmpfs.ts";
import { createAuditAgent } from "./index.ts";

const made: string[] = [];
const agents: Agent[] = [];
const mounted: TmpfsDisk[] = [];

/** For each test file's afterAll: closes the agents (their open files), unmounts and removes the directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  for (const disk of mounted.splice(0)) disk.remove();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A small disk of its own (tmpfs); cleanUp unmounts it. */
export function tmpfsDisk(size: string): TmpfsDisk {
  const disk = mountTmpfs(size);
  mounted.push(disk);
  return disk;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "audit-"));
  made.push(dir);
  return dir;
}

/** A delivery of `raw` sent as JSON text (`JSON.stringify(raw)` unless given), as the consume loop makes it. */
export function delivery(raw: unknown, text = JSON.stringify(raw)): Delivery {
  const value = new TextEncoder().encode(text);
  const parsed = parseEvent(value);
  if (!parsed.ok) throw parsed.error;
  const message = { topic: "task-events", partition: 0, offset: 0, key: null, value, headers: [], timestamp: -1 };
  return { known: parsed.known, event: parsed.event, message, logger: silentLogger, signal: new AbortController().signal } as Delivery;
}

export function taskCreated(title: string): Delivery {
  const metadata = { correlation_id: `req-${title.length}`, causation_id: "api-call-1", source: "task-api" };
  return delivery(createEvent("task.created", { task_id: `task-${crypto.randomUUID()}`, title, owner_id: "user-456", priority: 2 }, metadata));
}

export function tasksCreated(count: number, prefix = "Review quarterly report"): Delivery[] {
  return Array.from({ length: count }, (_, i) => taskCreated(`${prefix} ${i}`));
}

/** A clock that starts at `iso` and moves `stepMs` on at every reading. */
export function clock(iso: string, stepMs = 1): () => Date {
  let ms = Date.parse(iso) - stepMs;
  return () => new Date((ms += stepMs));
}

export function auditAgent(dir: string, now?: () => Date): Agent {
  const agent = createAuditAgent({ audit: { logDir: dir }, logger: silentLogger, now });
  agents.push(agent);
  return agent;
}

export function fileLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").slice(0, -1);
}
