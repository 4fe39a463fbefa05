import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { derivedId } from "../../src/transport/derived-id.ts";
import { EML_MODE, writeFileAtomic } from "./outbox.ts";
import { headerValues } from "./test-smtp-server.ts";
import { deliveryOf, emailSettings, startAgent, taskCreated, tempDir } from "./test-support.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function outboxAgent(outboxDir: string, dataDir?: string) {
  const started = startAgent(emailSettings({ outboxDir }), { dataDir });
  cleanups.push(() => started.agent.close());
  return started;
}

describe("email agent without SMTP settings", () => {
  test("writes one {event_id}.eml per event, mode 0640, into an outbox dir it creates", async () => {
    const outboxDir = join(tempDir("outbox"), "not", "yet", "there");
    const { agent, publisher } = outboxAgent(outboxDir);
    const first = taskCreated();
    const second = taskCreated({ task_id: "task-124", owner_id: "user-789" });

    expect(await agent.handle([deliveryOf(first, 0), deliveryOf(second, 1)])).toEqual([]);

    expect(readdirSync(outboxDir).sort()).toEqual([`${first.event_id}.eml`, `${second.event_id}.eml`].sort());
    const path = join(outboxDir, `${first.event_id}.eml`);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    const raw = readFileSync(path, "utf8");
    expect(raw).not.toMatch(/[^\r]\n/);
    expect(headerValues(raw, "To")).toEqual(["user-456@example.com"]);
    expect(headerValues(raw, "Subject")).toEqual(["New task: Review quarterly report"]);
    expect(headerValues(raw, "Message-ID")).toEqual([`<${first.event_id}@agent-events>`]);
    expect(publisher.published.map((e) => e.event_id)).toEqual([
      derivedId(first.event_id, "notification.sent", "email"),
      derivedId(second.event_id, "notification.sent", "email"),
    ]);
  });

  test("a redelivered event adds no second file and publishes the same notification.sent", async () => {
    const outboxDir = tempDir("outbox");
    const { agent, publisher } = outboxAgent(outboxDir);
    const event = taskCreated();
    await agent.handle([deliveryOf(event)]);
    const written = statSync(join(outboxDir, `${event.event_id}.eml`)).mtimeMs;

    expect(await agent.handle([deliveryOf(event)])).toEqual([]);

    expect(readdirSync(outboxDir)).toEqual([`${event.event_id}.eml`]);
    expect(statSync(join(outboxDir, `${event.event_id}.eml`)).mtimeMs).toBe(written);
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[1]!.event_id).toBe(publisher.published[0]!.event_id);
  });

  test("an email redone after its record was lost replaces its file instead of adding one", async () => {
    const outboxDir = tempDir("outbox");
    const event = taskCreated();
    await outboxAgent(outboxDir).agent.handle([deliveryOf(event)]);

    expect(await outboxAgent(outboxDir, tempDir("fresh-data")).agent.handle([deliveryOf(event)])).toEqual([]);

    expect(readdirSync(outboxDir)).toEqual([`${event.event_id}.eml`]);
  });
});

describe("atomic file write", () => {
  test("leaves only the finished file, with the asked mode even under a narrow umask", async () => {
    const dir = tempDir("atomic");
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir, "a.eml"), new TextEncoder().encode("one"), EML_MODE);
      await writeFileAtomic(join(dir, "a.eml"), new TextEncoder().encode("two"), EML_MODE);
    } finally {
      process.umask(previous);
    }
    expect(readdirSync(dir)).toEqual(["a.eml"]);
    expect(readFileSync(join(dir, "a.eml"), "utf8")).toBe("two");
    expect(statSync(join(dir, "a.eml")).mode & 0o777).toBe(0o640);
  });
});
