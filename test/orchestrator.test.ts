import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess, LAUNCHERS, type Launcher, eventually } from "./support/agent-process.ts";
import { EventCollector, type CollectedEvent } from "./support/event-collector.ts";
import { QUICK_GROUP_SESSIONS, startKafkaCluster, type KafkaCluster } from "./support/kafka-cluster.ts";
import { startTaskHandler } from "./support/task-handler-server.ts";

function orchestratorAsProcesses(launcher: Launcher): void {
  describe(`the orchestrator, ${launcher.name}`, () => {
    const roleProcess = (args: string[], env: Record<string, string>) => new AgentProcess(args, env, { launcher });

    // The orchestrator role (the Bun binary, or Deno from source) on a real broker, with an api, two workers of each of two
    // types (calling this test's HTTP handler, whose behaviour each step's input picks) and, later, a second
    // orchestrator. Steps echo their input unless it says otherwise (test/support/task-handler-server.ts).
    const WORKFLOWS = `
    workflows:
      - name: three-step
        steps:
          - id: summary
            agent_type: alpha
            input: { mode: "{{input.mode}}", ms: "{{input.ms}}", text: "{{input.text}}" }
          - id: tags
            agent_type: beta
            input: { mode: "{{input.mode}}", ms: "{{input.ms}}", text: "{{input.text}}" }
          - id: report
            agent_type: alpha
            depends_on: [summary, tags]
            input: { summary: "{{steps.summary.output.input.text}}", tags: "{{steps.tags.output.task_id}}" }
      - name: doomed
        steps:
          - { id: first, agent_type: alpha, input: { text: "{{input.text}}" } }
          - { id: fragile, agent_type: beta, depends_on: [first], attempts: 2, input: { mode: down } }
    `;
    const ACCEPT_TIMEOUT_MS = 15_000;

    let cluster: KafkaCluster;
    let handler: ReturnType<typeof startTaskHandler>;
    let dir: string;
    let workflowsFile: string;
    let api: AgentProcess;
    const orchestrators: Record<string, AgentProcess> = {};
    const workers: Record<string, AgentProcess> = {};
    let taskEvents: EventCollector;
    let assignments: EventCollector;
    let results: EventCollector;

    const kafkaEnv = () => ({ KAFKA_BOOTSTRAP_SERVERS: cluster.bootstrap });

    function startWorker(name: string, type: string): AgentProcess {
      workers[name] = roleProcess(["--role=worker"], {
        ...kafkaEnv(),
        DATA_DIR: join(dir, name),
        AGENT_ID: name,
        AGENT_TYPE: type,
        AGENT_HANDLER_URL: handler.url,
        AGENT_HANDLER_RETRIES: "0",
        AGENT_HEARTBEAT_MS: "500",
        AGENT_SKILLS: JSON.stringify([{ id: `${type}-skill`, name: `Does ${type}`, description: "for tests", tags: [type] }]),
      });
      return workers[name]!;
    }

    function startOrchestrator(name: string): AgentProcess {
      orchestrators[name] = roleProcess(["--role=orchestrator"], {
        ...kafkaEnv(),
        DATA_DIR: join(dir, name),
        WORKFLOWS_FILE: workflowsFile,
        TASK_ACCEPT_TIMEOUT_MS: String(ACCEPT_TIMEOUT_MS),
        TASK_RETRY_BACKOFF_MS: "200",
        LOG_LEVEL: "debug",
      });
      return orchestrators[name]!;
    }

    async function post(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
      const response = await fetch(`${api.url}/tasks`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    }

    async function startRun(workflow: string, input: Record<string, unknown>): Promise<string> {
      const { status, json } = await post({ title: `run of ${workflow}`, owner_id: "user-1", workflow, input });
      expect(status).toBe(201);
      return json.id as string;
    }

    /** What `ended` still waits for, printed when a wait takes long: a hang then says which run and step. */
    let stillOpenIds: string[] = [];
    function stillOpen(runIds: readonly string[]): string {
      const open = runIds.filter((id) => !ended([id])());
      stillOpenIds = open;
      return open
        .map((id) => {
          const steps = ["summary", "tags", "report"].map((step) => {
            const task = stepTask(id, step);
            const seen = [...assignments.events, ...results.events, ...taskEvents.events].filter((e) => e.data.task_id === task).map((e) => `${e.event_type}#${e.data.attempt ?? ""}`);
            return `${step}: ${seen.join(" ") || "nothing"}`;
          });
          return `${id} [${steps.join("; ")}]`;
        })
        .join("\n");
    }

    /** Waits for `ready`, printing `explain()` and the orchestrators' state every 20 s until it holds. */
    async function waitFor(collector: EventCollector, ready: () => boolean, explain: () => string): Promise<void> {
      const timer = setInterval(async () => {
        const states = await Promise.all(
          Object.entries(orchestrators).map(async ([name, p]) => {
            // A killed one's story matters as much: what it decided and committed before it died.
            const alive = p.process.exitCode === null && p.process.signalCode === null;
            const metrics = alive ? await (await fetch(`${p.url}/metrics`)).text().catch(() => "") : "";
            const lines = metrics.split("\n").filter((l) => /group="orchestrator"/.test(l) && /lag|in_hand/.test(l));
            const stuck = new Set(stillOpenIds);
            const logs = p.logs
              .filter((l) => (l.level !== "info" && l.level !== "debug") || /partitions|reading/.test(l.msg) || (l.msg === "decided" && stuck.has(l.key as string)))
              .slice(-60)
              .map((l) => JSON.stringify(l));
            // Its whole log, commit points included, for reading after the run.
            const file = join(dir, `${name}.log.jsonl`);
            writeFileSync(file, p.logs.map((l) => JSON.stringify(l)).join("\n"));
            return `${name}${alive ? "" : " (stopped)"} (whole log: ${file}):\n  ${lines.join("\n  ")}\n  ${logs.join("\n  ")}`;
          }),
        );
        console.error(`still waiting:\n${explain()}\n${states.join("\n")}`);
      }, 20_000);
      try {
        await collector.until(ready);
      } finally {
        clearInterval(timer);
      }
    }

    const byRun = (runId: string) => (event: CollectedEvent) => event.data.workflow_id === runId;
    const ended = (runIds: readonly string[]) => () =>
      runIds.every((id) => results.of("workflow.completed", byRun(id)).length + results.of("workflow.failed", byRun(id)).length > 0);
    const stepTask = (runId: string, step: string) => `${runId}.${step}`;
    /** Distinct assignments of a task (an assignment published again has the same event id). */
    const assignmentsOf = (taskId: string) => new Map(assignments.of("task.assigned", (e) => e.data.task_id === taskId).map((e) => [e.event_id, e])).size;
    const handlerCalls = (taskId: string) => handler.calls.filter((call) => call.taskId === taskId).length;
    const distinct = (events: CollectedEvent[]) => new Set(events.map((e) => e.event_id)).size;

    async function metric(url: string, name: string): Promise<number> {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split("\n")
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    }

    beforeAll(async () => {
      launcher.command();
      cluster = await startKafkaCluster({
        nodes: 1,
        brokerConfig: QUICK_GROUP_SESSIONS,
      });
      handler = startTaskHandler();
      dir = mkdtempSync(join(tmpdir(), "agent-events-orchestrator-"));
      workflowsFile = join(dir, "workflows.yaml");
      writeFileSync(workflowsFile, WORKFLOWS);
      for (const [name, type] of [["alpha-1", "alpha"], ["alpha-2", "alpha"], ["beta-1", "beta"], ["beta-2", "beta"], ["ghost-1", "ghost"]] as const) startWorker(name, type);
      await Promise.all(Object.values(workers).map((worker) => worker.ready()));
      // A type that registered once and is gone: its tasks are accepted by nobody.
      await workers["ghost-1"]!.kill("SIGTERM");
      startOrchestrator("orchestrator-a");
      api = roleProcess(["--role=api"], { ...kafkaEnv(), DATA_DIR: join(dir, "api"), WORKFLOWS_FILE: workflowsFile });
      await Promise.all([api.ready(), orchestrators["orchestrator-a"]!.ready()]);
      taskEvents = new EventCollector(cluster.bootstrap, "task-events");
      assignments = new EventCollector(cluster.bootstrap, "agent-tasks");
      results = new EventCollector(cluster.bootstrap, "agent-results");
    }, 180_000);

    afterAll(async () => {
      await Promise.all([...Object.values(workers), ...Object.values(orchestrators), api].filter(Boolean).map((p) => p.kill("SIGKILL")));
      await Promise.all([taskEvents, assignments, results].filter(Boolean).map((c) => c.close()));
      handler?.close();
      await cluster?.stop();
    });

      test("a task for an agent type is assigned, run by a worker of that type, and completed; GET /tasks/{id} tells its story", async () => {
        const { status, json } = await post({ title: "Echo this", owner_id: "user-1", agent_type: "alpha", input: { say: "hello" } });
        expect(status).toBe(201);
        const id = json.id as string;
        await taskEvents.until(() => taskEvents.of("task.completed", (e) => e.data.task_id === id).length > 0);
        const [completed] = taskEvents.of("task.completed", (e) => e.data.task_id === id);
        expect(completed!.data).toMatchObject({ attempt: 1, output: { task_id: id, input: { say: "hello" } } });
        expect(["alpha-1", "alpha-2"]).toContain(completed!.data.agent_id as string);

        const orchestrator = orchestrators["orchestrator-a"]!;
        // The status view is the orchestrator's own reading of the topics: only asking it shows when it caught up.
        const story = await eventually(async () => {
          const response = await fetch(`${orchestrator.url}/tasks/${id}`);
          const body = response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
          return body && (body.events as unknown[]).length >= 6 ? body : undefined;
        });
        expect(story).toMatchObject({ task_id: id, kind: "agent-task", status: "completed", agent_type: "alpha", attempts: 1, agent_id: completed!.data.agent_id, output: { task_id: id, input: { say: "hello" } } });
        expect((story.events as Array<{ event_type: string }>).map((e) => e.event_type)).toEqual([
          "task.created",
          "task.assigned",
          "agent.task.accepted",
          expect.stringMatching(/^(task.started|agent.task.completed)$/),
          expect.stringMatching(/^(task.started|agent.task.completed)$/),
          "task.completed",
        ]);
        expect((await fetch(`${orchestrator.url}/tasks/no-such-task`)).status).toBe(404);
      }, 60_000);

      test("GET /agents lists every agent with its type, skills, last heartbeat and in-flight count, live or gone", async () => {
        const { agents } = (await (await fetch(`${orchestrators["orchestrator-a"]!.url}/agents`)).json()) as { agents: Array<Record<string, unknown>> };
        const byId = new Map(agents.map((agent) => [agent.agent_id, agent]));
        for (const id of ["alpha-1", "alpha-2", "beta-1", "beta-2"]) {
          expect(byId.get(id)).toMatchObject({ agent_type: id.split("-")[0], live: true, in_flight: expect.any(Number), heartbeat_ms: 500 });
          expect(byId.get(id)!.skills).toEqual([expect.objectContaining({ id: `${id.split("-")[0]}-skill` })]);
          expect(Date.parse(byId.get(id)!.last_heartbeat as string)).toBeGreaterThan(Date.now() - 10_000);
        }
        expect(byId.get("ghost-1")).toMatchObject({ agent_type: "ghost", live: false, gone_because: "deregistered" });
      });

      test("a workflow of three steps, two in parallel, runs across two workers per type; every event of a run shares its correlation id and names its cause", async () => {
        const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => startRun("three-step", { mode: "sleep", ms: 300, text: `text ${i}` })));
        await results.until(ended(runs));
        for (const [i, runId] of runs.entries()) {
          expect(results.of("workflow.failed", byRun(runId))).toEqual([]);
          const [done, ...again] = results.of("workflow.completed", byRun(runId));
          expect(again.filter((e) => e.event_id !== done!.event_id)).toEqual([]);
          expect(done!.data.outputs).toMatchObject({
            summary: { input: { text: `text ${i}` } },
            tags: { task_id: stepTask(runId, "tags") },
            report: { input: { summary: `text ${i}`, tags: stepTask(runId, "tags") } },
          });
          const created = taskEvents.of("task.created", (e) => e.data.task_id === runId)[0]!;
          const runEvents = [...assignments.events, ...results.events, ...taskEvents.events].filter((e) => e.data.workflow_id === runId || e.data.task_id === runId);
          expect(new Set(runEvents.map((e) => e.metadata.correlation_id))).toEqual(new Set([created.metadata.correlation_id]));
          // The parallel steps are assigned together, caused by the request; the third by the completion it waited for.
          const assigned = (step: string) => assignments.of("task.assigned", (e) => e.data.task_id === stepTask(runId, step))[0]!;
          expect(assigned("summary").metadata.causation_id).toBe(created.event_id);
          expect(assigned("tags").metadata.causation_id).toBe(created.event_id);
          // The step it waited for last, in the order the orchestrator read their completions (the run's partition).
          const completions = ["summary", "tags"].map((step) => results.of("workflow.step.completed", (e) => e.data.workflow_id === runId && e.data.step_id === step)[0]!);
          const last = completions.sort((a, b) => results.events.indexOf(a) - results.events.indexOf(b)).at(-1)!;
          expect(assigned("report").metadata.causation_id).toBe(last.event_id);
          await taskEvents.until(() => taskEvents.of("task.completed", (e) => e.event_id === last.metadata.causation_id).length > 0);
          expect(taskEvents.of("task.completed", (e) => e.event_id === last.metadata.causation_id)[0]!.data.task_id).toBe(stepTask(runId, last.data.step_id as string));
          // Both ran at once: each was accepted before the other finished.
          const accepted = (step: string) => results.of("agent.task.accepted", (e) => e.data.task_id === stepTask(runId, step))[0]!.occurred_at;
          for (const [step, other] of [["summary", "tags"], ["tags", "summary"]] as const) {
            expect(accepted(step) < results.of("agent.task.completed", (e) => e.data.task_id === stepTask(runId, other))[0]!.occurred_at).toBe(true);
          }
          for (const step of ["summary", "tags", "report"]) expect(handlerCalls(stepTask(runId, step))).toBe(1);
        }
        const workersUsed = new Set(runs.flatMap((runId) => results.of("agent.task.completed", byRun(runId)).map((e) => e.data.agent_id)));
        expect(workersUsed).toEqual(new Set(["alpha-1", "alpha-2", "beta-1", "beta-2"]));

        const url = orchestrators["orchestrator-a"]!.url;
        const run = await eventually(async () => {
          const body = (await (await fetch(`${url}/workflows/${runs[0]}`)).json()) as Record<string, unknown>;
          return body.status === "completed" && (body.steps as Array<{ status: string }>).every((s) => s.status === "completed") ? body : undefined;
        });
        expect(run).toMatchObject({ workflow_id: runs[0], workflow: "three-step", status: "completed" });
        expect((run.steps as Array<Record<string, unknown>>).map(({ step_id, agent_type, attempts }) => ({ step_id, agent_type, attempts }))).toEqual([
          { step_id: "summary", agent_type: "alpha", attempts: 1 },
          { step_id: "tags", agent_type: "beta", attempts: 1 },
          { step_id: "report", agent_type: "alpha", attempts: 1 },
        ]);
        for (const step of run.steps as Array<Record<string, unknown>>) {
          expect(step.agent_id).toMatch(/^(alpha|beta)-[12]$/);
          expect(step.duration_ms).toBeGreaterThanOrEqual(0);
        }
        const table = await (await fetch(`${url}/workflows/${runs[0]}?format=text`)).text();
        expect(table.split("\n").slice(0, 2)).toEqual([
          `workflow three-step ${runs[0]}: completed`,
          expect.stringMatching(/^STEP +AGENT TYPE +STATUS +AGENT +ATTEMPTS +STARTED +DURATION$/),
        ]);
        expect(table).toMatch(/\nsummary +alpha +completed +alpha-[12] +1 /);
      }, 120_000);

      test("POST /tasks refuses an unknown agent_type, an unknown workflow and a bad input with 400, listing each problem", async () => {
        const unknownType = await post({ title: "x", owner_id: "u", agent_type: "translator", input: {} });
        expect(unknownType.status).toBe(400);
        expect(unknownType.json.problems).toEqual([{ path: "agent_type", message: "no agent of type translator has registered (registered: alpha, beta, ghost)" }]);

        const unknownWorkflow = await post({ title: "x", owner_id: "u", workflow: "four-step", input: {} });
        expect(unknownWorkflow.status).toBe(400);
        expect(unknownWorkflow.json.problems).toEqual([{ path: "workflow", message: "no workflow is named four-step (defined: three-step, doomed)" }]);

        const badInput = await post({ title: "", owner_id: "u", workflow: "three-step", input: { mode: "echo" } });
        expect(badInput.status).toBe(400);
        expect(badInput.json.problems).toEqual(
          expect.arrayContaining([
            { path: "title", message: "must be 1-500 characters" },
            { path: "input.ms", message: "is required by workflow three-step" },
            { path: "input.text", message: "is required by workflow three-step" },
          ]),
        );
        const notAnObject = await post({ title: "x", owner_id: "u", agent_type: "alpha", input: ["a"] });
        expect(notAnObject.status).toBe(400);
        expect(notAnObject.json.problems).toEqual([{ path: "input", message: "must be a JSON object" }]);
        const tooBig = await post({ title: "x", owner_id: "u", agent_type: "alpha", input: { text: "x".repeat(65 * 1024) } });
        expect(tooBig.status).toBe(400);
        expect(tooBig.json.problems).toEqual([{ path: "input", message: "must be at most 64 KiB as JSON" }]);
        const both = await post({ title: "x", owner_id: "u", agent_type: "alpha", workflow: "doomed", input: { text: "t" } });
        expect(both.status).toBe(400);
        expect(both.json.problems).toContainEqual({ path: "workflow", message: "give agent_type or workflow, not both" });
        const created = taskEvents.of("task.created", (e) => e.data.owner_id === "u");
        expect(created).toEqual([]);
      });

      test("a step out of attempts fails its run: workflow.failed names the step and the reason", async () => {
        const runId = await startRun("doomed", { text: "t" });
        await results.until(ended([runId]));
        const [failed] = results.of("workflow.failed", byRun(runId));
        expect(failed!.data).toMatchObject({ workflow_id: runId, step_id: "fragile" });
        expect(failed!.data.reason).toContain("step fragile failed: ");
        expect(failed!.data.reason).toContain("(attempt 2 of 2)");
        expect(handlerCalls(stepTask(runId, "fragile"))).toBe(2);
        await taskEvents.until(() => taskEvents.of("task.failed", (e) => e.data.task_id === stepTask(runId, "fragile")).length > 0);
        expect(taskEvents.of("task.failed", (e) => e.data.task_id === stepTask(runId, "fragile"))[0]!.data).toMatchObject({ attempt: 2 });
        const url = orchestrators["orchestrator-a"]!.url;
        const run = await eventually(async () => {
          const body = (await (await fetch(`${url}/workflows/${runId}`)).json()) as Record<string, unknown>;
          return body.status === "failed" && (body.steps as Array<{ status: string }>)[1]!.status === "failed" ? body : undefined;
        });
        expect(run).toMatchObject({ status: "failed", failed_step: "fragile" });
        expect(run.steps).toEqual([expect.objectContaining({ step_id: "first", status: "completed" }), expect.objectContaining({ step_id: "fragile", status: "failed", attempts: 2 })]);
      }, 60_000);

      test("a worker SIGKILLed mid-step: the step is assigned again once the worker is gone, and the run completes", async () => {
        const runId = await startRun("three-step", { mode: "sleep", ms: 3_000, text: "kill a worker" });
        const summary = stepTask(runId, "summary");
        await results.until(() => results.of("agent.task.accepted", (e) => e.data.task_id === summary).length > 0);
        const victim = results.of("agent.task.accepted", (e) => e.data.task_id === summary)[0]!.data.agent_id as string;
        await workers[victim]!.kill("SIGKILL");
        await results.until(ended([runId]));
        expect(results.of("workflow.completed", byRun(runId))).toHaveLength(1);
        const attempts = assignments.of("task.assigned", (e) => e.data.task_id === summary).map((e) => e.data.attempt);
        expect(new Set(attempts)).toEqual(new Set([1, 2]));
        const [completed] = taskEvents.of("task.completed", (e) => e.data.task_id === summary);
        expect(completed!.data).toMatchObject({ attempt: 2 });
        expect(completed!.data.agent_id).not.toBe(victim);
        // Only the step in flight ran again.
        expect(handlerCalls(stepTask(runId, "tags"))).toBe(1);
        expect(handlerCalls(stepTask(runId, "report"))).toBe(1);
        await startWorker(victim, victim.split("-")[0]!).ready();
      }, 90_000);

      test("the orchestrator SIGKILLed mid-run and restarted: every run completes, and no step is assigned or run twice", async () => {
        const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => startRun("three-step", { mode: "sleep", ms: 2_000, text: `restart ${i}` })));
        const first = runs.flatMap((runId) => [stepTask(runId, "summary"), stepTask(runId, "tags")]);
        await results.until(() => first.every((task) => results.of("agent.task.accepted", (e) => e.data.task_id === task).length > 0));
        await orchestrators["orchestrator-a"]!.kill("SIGKILL");
        // The workers finish while it is away; the restarted one reads their reports and goes on.
        await results.until(() => first.every((task) => results.of("agent.task.completed", (e) => e.data.task_id === task).length > 0));
        await startOrchestrator("orchestrator-a").ready();
        await waitFor(results, ended(runs), () => stillOpen(runs));
        for (const runId of runs) expect(results.of("workflow.failed", byRun(runId)).map((e) => e.data)).toEqual([]);
        // task.completed is on task-events, read by a collector of its own: it may come after workflow.completed.
        const steps = runs.flatMap((runId) => ["summary", "tags", "report"].map((step) => stepTask(runId, step)));
        await taskEvents.until(() => steps.every((task) => taskEvents.of("task.completed", (e) => e.data.task_id === task).length > 0));
        for (const runId of runs) {
          expect(distinct(results.of("workflow.completed", byRun(runId)))).toBe(1);
          expect(results.of("workflow.failed", byRun(runId))).toEqual([]);
          for (const step of ["summary", "tags", "report"]) {
            expect(assignmentsOf(stepTask(runId, step))).toBe(1);
            expect(handlerCalls(stepTask(runId, step))).toBe(1);
            expect(distinct(taskEvents.of("task.completed", (e) => e.data.task_id === stepTask(runId, step)))).toBe(1);
          }
        }
      }, 120_000);

      test("two orchestrators split the work, and the one left takes over the runs of the one killed", async () => {
        await startOrchestrator("orchestrator-b").ready();
        const [a, b] = [orchestrators["orchestrator-a"]!, orchestrators["orchestrator-b"]!];
        // Both own partitions: the group's readiness says so only of each member's own share.
        await a.ready();
        const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => startRun("three-step", { mode: "sleep", ms: 1_500, text: `split ${i}` })));
        const first = runs.flatMap((runId) => [stepTask(runId, "summary"), stepTask(runId, "tags")]);
        await waitFor(results, () => first.every((task) => results.of("agent.task.accepted", (e) => e.data.task_id === task).length > 0), () => stillOpen(runs));
        const [factsOfA, factsOfB] = await Promise.all([metric(a.url, "agent_events_orchestrator_facts_total"), metric(b.url, "agent_events_orchestrator_facts_total")]);
        expect(factsOfA).toBeGreaterThan(0);
        expect(factsOfB).toBeGreaterThan(0);
        await a.kill("SIGKILL");
        await waitFor(results, ended(runs), () => stillOpen(runs));
        for (const runId of runs) {
          expect(results.of("workflow.failed", byRun(runId)).map((e) => e.data)).toEqual([]);
          expect(distinct(results.of("workflow.completed", byRun(runId)))).toBe(1);
          for (const step of ["summary", "tags", "report"]) {
            expect(assignmentsOf(stepTask(runId, step))).toBe(1);
            expect(handlerCalls(stepTask(runId, step))).toBe(1);
          }
        }
      }, 120_000);

      test("an assignment no worker accepts within TASK_ACCEPT_TIMEOUT_MS fails the task, and is counted", async () => {
        const url = orchestrators["orchestrator-b"]!.url;
        const before = await metric(url, 'agent_events_tasks_unaccepted_total{agent_type="ghost"}');
        const { status, json } = await post({ title: "Nobody home", owner_id: "user-1", agent_type: "ghost", input: {} });
        expect(status).toBe(201);
        const id = json.id as string;
        await taskEvents.until(() => taskEvents.of("task.failed", (e) => e.data.task_id === id).length > 0);
        const [failed] = taskEvents.of("task.failed", (e) => e.data.task_id === id);
        expect(failed!.data).toMatchObject({ agent_type: "ghost", attempt: 1, reason: `no worker of type ghost accepted it within ${ACCEPT_TIMEOUT_MS} ms` });
        expect(Date.parse(failed!.occurred_at) - Date.parse(taskEvents.of("task.created", (e) => e.data.task_id === id)[0]!.occurred_at)).toBeGreaterThanOrEqual(ACCEPT_TIMEOUT_MS);
        expect(await metric(url, 'agent_events_tasks_unaccepted_total{agent_type="ghost"}')).toBe(before + 1);
      }, 60_000);
  });
}

for (const launcher of LAUNCHERS) orchestratorAsProcesses(launcher);
