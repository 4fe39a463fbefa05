import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createEvent, type EventDataInput } from "../src/events/index.ts";
import { Consumer } from "../src/kafka/consumer.ts";
import { Producer } from "../src/kafka/producer.ts";
import { decodeFinished } from "../src/transport/offset-tracker.ts";
import { KafkaPublisher } from "../src/transport/kafka-publisher.ts";
import { AgentProcess, LAUNCHERS, type Launcher } from "./support/agent-process.ts";
import { EventCollector } from "./support/event-collector.ts";
import { QUICK_GROUP_SESSIONS, startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startTaskHandler } from "./support/task-handler-server.ts";

function workersAsProcesses(launcher: Launcher): void {
  describe(`worker agents, ${launcher.name}`, () => {
    const roleProcess = (args: string[], env: Record<string, string>) => new AgentProcess(args, env, { launcher });

    // Worker agents (the Bun binary, or Deno from source) on a real broker: two of one type calling an HTTP handler (this test's
    // own), and one of another type calling a handler written in Python with its standard library.
    const PYTHON_HANDLER = resolve(import.meta.dir, "fixtures/handlers/summarize.py");
    let cluster: KafkaCluster;
    let handler: ReturnType<typeof startTaskHandler>;
    let python: ReturnType<typeof Bun.spawn>;
    let pythonPort: number;
    let producer: Producer;
    let results: EventCollector;
    let dir: string;
    const workers: Record<string, AgentProcess> = {};
    /** Where each assignment landed, by task id. */
    const placed = new Map<string, { partition: number; offset: number }>();

    function startWorker(name: string, env: Record<string, string>): AgentProcess {
      workers[name] = roleProcess(["--role=worker"], {
        KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap,
        DATA_DIR: join(dir, name),
        AGENT_ID: name,
        // A handler slower than this must not cost the worker its partitions.
        KAFKA_MAX_POLL_INTERVAL_MS: "3000",
        ...env,
      });
      return workers[name]!;
    }

    async function assign(type: string, count: number, input: (i: number) => Record<string, unknown>, prefix = type): Promise<string[]> {
      const publisher = new KafkaPublisher(producer);
      const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}-${crypto.randomUUID().slice(0, 8)}`);
      await Promise.all(
        ids.map(async (task_id, i) => {
          const data: EventDataInput<"task.assigned"> = { task_id, agent_type: type, attempt: 1, input: input(i) };
          const event = createEvent("task.assigned", data, { correlation_id: `req-${task_id}`, causation_id: "test", source: "worker-test" });
          const { partition, offset } = await publisher.publish(event);
          placed.set(task_id, { partition, offset });
        }),
      );
      return ids;
    }

    const outcomeOf = (taskId: string) => results.of("agent.task.completed", (e) => e.data.task_id === taskId).concat(results.of("agent.task.failed", (e) => e.data.task_id === taskId));
    const finished = (ids: readonly string[]) => () => ids.every((id) => outcomeOf(id).length > 0);

    beforeAll(async () => {
      launcher.command();
      cluster = await startKafkaCluster({
        nodes: 1,
        brokerConfig: QUICK_GROUP_SESSIONS,
      });
      handler = startTaskHandler();
      pythonPort = 20_000 + Math.floor(Math.random() * 10_000);
      python = Bun.spawn(["/usr/bin/python3", PYTHON_HANDLER, String(pythonPort)], { stdout: "ignore", stderr: "ignore" });
      producer = new Producer({ "bootstrap.servers": cluster.bootstrap });
      dir = mkdtempSync(join(tmpdir(), "agent-events-workers-"));
      const sleeper = { AGENT_TYPE: "sleeper", AGENT_HANDLER_URL: handler.url, AGENT_CONCURRENCY: "16", AGENT_HEARTBEAT_MS: "500" };
      startWorker("sleeper-a", sleeper);
      startWorker("sleeper-b", sleeper);
      startWorker("python-1", { AGENT_TYPE: "pysummarizer", AGENT_HANDLER_URL: `http://127.0.0.1:${pythonPort}/` });
      await Promise.all(Object.values(workers).map((worker) => worker.ready()));
      results = new EventCollector(cluster.bootstrap, "agent-results");
    }, 180_000);

    afterAll(async () => {
      handler?.release();
      await Promise.all(Object.values(workers).map((worker) => worker.kill("SIGKILL")));
      await results?.close();
      await producer?.close();
      python?.kill();
      handler?.close();
      await cluster?.stop();
    });

      test("500 assignments over two types: each done once by a worker of its type, more at once than there are partitions", async () => {
        const sleepy = await assign("sleeper", 400, () => ({ mode: "sleep", ms: 50 }));
        const texts = await assign("pysummarizer", 100, (i) => ({ text: `Report number ${i}. It has two sentences.` }));
        await results.until(finished([...sleepy, ...texts]));

        for (const id of sleepy) {
          const [completed, ...more] = outcomeOf(id);
          expect(more).toEqual([]);
          expect(completed!.event_type).toBe("agent.task.completed");
          expect(["sleeper-a", "sleeper-b"]).toContain(completed!.data.agent_id as string);
        }
        for (const [i, id] of texts.entries()) {
          const [completed, ...more] = outcomeOf(id);
          expect(more).toEqual([]);
          expect(completed!.data).toMatchObject({ agent_id: "python-1", agent_type: "pysummarizer", output: { by: "python", summary: `Report number ${i}. It has two sentences.` } });
        }
        // Both sleepers took part, and the handler saw many calls at once: far more than the 3 partitions.
        const by = new Set(sleepy.map((id) => outcomeOf(id)[0]!.data.agent_id));
        expect(by).toEqual(new Set(["sleeper-a", "sleeper-b"]));
        expect(handler.maxOverlap()).toBeGreaterThan(3);
        expect(handler.calls.filter((call) => call.taskId.startsWith("pysummarizer"))).toEqual([]);
        // Each fact is caused by the one before it, all under the assignment's correlation id.
        const [first] = sleepy;
        const accepted = results.of("agent.task.accepted", (e) => e.data.task_id === first)[0]!;
        expect(outcomeOf(first!)[0]!.metadata).toMatchObject({ causation_id: accepted.event_id, correlation_id: `req-${first}` });
      }, 180_000);

      test("a handler slower than max.poll.interval.ms keeps its partitions, and other tasks flow beside it", async () => {
        const revokedBefore = Object.values(workers).map((w) => w.logs.filter((l) => l.msg === "partitions revoked").length);
        const [slow] = await assign("sleeper", 1, () => ({ mode: "sleep", ms: 7_000 }), "slow");
        await handler.until(() => handler.inProgress().includes(slow!));
        const quick = await assign("sleeper", 30, () => ({ mode: "sleep", ms: 10 }), "beside");
        await results.until(finished(quick));
        expect(outcomeOf(slow!)).toEqual([]);
        await results.until(finished([slow!]));
        expect(outcomeOf(slow!)).toHaveLength(1);
        expect(handler.calls.filter((c) => c.taskId === slow)).toHaveLength(1);
        expect(Object.values(workers).map((w) => w.logs.filter((l) => l.msg === "partitions revoked").length)).toEqual(revokedBefore);
      }, 60_000);

      test("each kind of handler failure becomes agent.task.failed with its reason and retriable flag", async () => {
        const kinds = [
          { mode: "error", retriable: false, reason: "handler reported an error: cannot summarize an empty text" },
          { mode: "refuse", retriable: false, reason: "HTTP 422: this task is not for me" },
          { mode: "down", retriable: true, reason: "HTTP 503: maintenance" },
          { mode: "not-json", retriable: false, reason: "reply is not JSON" },
          { mode: "huge", retriable: false, reason: "reply is over 1 MiB" },
          { mode: "sleep", ms: 5_000, retriable: true, reason: "by the deadline" },
        ];
        const ids: string[] = [];
        for (const { mode, ms } of kinds) {
          const [id] = await assign("sleeper", 1, () => ({ mode, ms }), `fail-${mode}`);
          ids.push(id!);
        }
        // The late one: a deadline 1 s away; the handler sleeps 5 s.
        const late = `late-${crypto.randomUUID().slice(0, 8)}`;
        const deadline = new Date(Date.now() + 1_000).toISOString();
        await new KafkaPublisher(producer).publish(
          createEvent("task.assigned", { task_id: late, agent_type: "sleeper", attempt: 2, input: { mode: "sleep", ms: 5_000 }, deadline }, {
            correlation_id: `req-${late}`,
            causation_id: "test",
            source: "worker-test",
          }),
        );
        ids[ids.length - 1] = late;
        await results.until(finished(ids));
        for (const [i, kind] of kinds.entries()) {
          const [failed, ...more] = outcomeOf(ids[i]!);
          expect(more).toEqual([]);
          expect(failed!.event_type).toBe("agent.task.failed");
          expect(failed!.data.retriable).toBe(kind.retriable);
          expect(String(failed!.data.reason)).toContain(kind.reason);
        }
        // 503 is worth trying again: the handler saw the first call and every retry of it.
        expect(handler.calls.filter((c) => c.taskId === ids[2]).length).toBe(4);
        // A 5xx that passes gives a completed task.
        const [flaky] = await assign("sleeper", 1, () => ({ mode: "flaky", failures: 2 }), "flaky");
        await results.until(finished([flaky!]));
        expect(outcomeOf(flaky!)[0]!.data.output).toEqual({ after: 3 });
      }, 60_000);

      test("heartbeats come at the configured rate, counting the finished tasks", async () => {
        const beats = () => results.of("agent.heartbeat", (e) => e.data.agent_id === "sleeper-a");
        const seen = beats().length;
        await results.until(() => beats().length >= seen + 5);
        const recent = beats().slice(-5).map((e) => Date.parse(e.occurred_at));
        for (let i = 1; i < recent.length; i++) {
          expect(recent[i]! - recent[i - 1]!).toBeGreaterThanOrEqual(400);
          expect(recent[i]! - recent[i - 1]!).toBeLessThan(1_500);
        }
        const last = beats().at(-1)!;
        expect(last.data).toMatchObject({ agent_type: "sleeper", status: expect.stringMatching(/^(idle|busy)$/) });
        expect(Number(last.data.completed) + Number(last.data.failed)).toBeGreaterThan(0);
        expect(results.of("agent.registered", (e) => e.data.agent_id === "sleeper-a")[0]!.data).toMatchObject({
          agent_type: "sleeper",
          concurrency: 16,
          skills: [{ id: "sleeper" }],
        });
      }, 30_000);

      test("a worker SIGKILLed with tasks in flight: every task completes; only those in flight ran twice, with the same key", async () => {
        // Every tenth task is slow: the ones after it finish first, so at the kill much of what is finished lies
        // above an unfinished offset, known to the next owner only from the commit's metadata.
        const ids = await assign("sleeper", 200, (i) => ({ mode: "sleep", ms: i % 10 === 0 ? 4_000 : 50 }), "crash");
        // Once a good part is done, the handler stops answering: whatever is in its hands then is in flight.
        await results.until(() => ids.filter((id) => outcomeOf(id).length > 0).length >= 60);
        handler.hold();
        // Everything finished before the hold is committed (offsets, or the finished-above list) before the kill,
        // so the group's next owner knows it.
        await committedCover(cluster.bootstrap, placed, ids.filter((id) => outcomeOf(id).length > 0));
        // Nothing finishes while the handler holds its answers: what it has in hand now is what is in flight.
        const inFlight = new Set(handler.inProgress());
        await workers["sleeper-a"]!.kill("SIGKILL");
        handler.release();
        await results.until(finished(ids));

        const calls = new Map<string, string[]>();
        for (const call of handler.calls.filter((c) => ids.includes(c.taskId))) calls.set(call.taskId, [...(calls.get(call.taskId) ?? []), call.idempotencyKey]);
        const twice = [...calls].filter(([, keys]) => keys.length > 1);
        for (const [taskId, keys] of twice) {
          expect(inFlight.has(taskId)).toBe(true);
          expect(new Set(keys).size).toBe(1);
        }
        expect(ids.every((id) => outcomeOf(id).some((e) => e.event_type === "agent.task.completed"))).toBe(true);
        // The survivor took over the dead one's partitions.
        expect(ids.filter((id) => outcomeOf(id).some((e) => e.data.agent_id === "sleeper-b")).length).toBeGreaterThan(0);
      }, 120_000);

      test("SIGTERM deregisters the worker and exits 0", async () => {
        const worker = workers["python-1"]!;
        const code = await worker.kill("SIGTERM");
        if (code !== 0) console.error(worker.output.slice(-10).join("\n"));
        expect(code).toBe(0);
        await results.until(() => results.of("agent.deregistered", (e) => e.data.agent_id === "python-1").length > 0);
        expect(results.of("agent.deregistered", (e) => e.data.agent_id === "python-1")[0]!.data).toMatchObject({ agent_type: "pysummarizer" });
      }, 30_000);
  });
}

for (const launcher of LAUNCHERS) workersAsProcesses(launcher);

/**
 * Resolves once the sleeper group's commits cover each task's assignment (`placed` says where each landed):
 * below the offset, or listed as finished.
 */
async function committedCover(bootstrap: string, placed: ReadonlyMap<string, { partition: number; offset: number }>, taskIds: readonly string[]): Promise<void> {
  const probe = new Consumer({ groupId: "agent-sleeper", properties: { "bootstrap.servers": bootstrap } });
  try {
    for (;;) {
      const committed = await probe.committed([0, 1, 2].map((partition) => ({ topic: "agent-tasks", partition })));
      const covered = taskIds.every((id) => {
        const { partition, offset } = placed.get(id)!;
        const point = committed.find((c) => c.partition === partition);
        if (!point || point.offset < 0) return false;
        return offset < point.offset || decodeFinished(point.metadata, point.offset).has(offset);
      });
      if (covered) return;
      // Only the group's commits can say it, and only when asked.
      await Bun.sleep(100);
    }
  } finally {
    await probe.close();
  }
}
