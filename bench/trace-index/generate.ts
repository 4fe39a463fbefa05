import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { GENESIS } from "../../agents/audit/chain.ts";
import { auditFileName } from "../../agents/audit/files.ts";
import { AuditLineEncoder } from "../../agents/audit/line-encoder.ts";

/*
 * A synthetic audit log shaped like the real one: stories of 5-50 events (a task, or a workflow of steps with
 * their assignments, reports and notifications), ~200 of them in progress at once so their lines interleave,
 * 1 story in 500 with a dead letter, hash-chained across one file per day, written by the agent's own encoder.
 */

export interface Sample {
  correlation: string[];
  task: string[];
  workflow: string[];
  event: string[];
}

const ACTIVE = 200;
const SAMPLE = 2_000;
const encoder = new TextEncoder();
const TEXT = "Revenue grew 12% in the third quarter. Costs fell as the new supplier contracts took effect. The board will review the hiring plan in December.";

interface Story {
  correlation: string;
  workflow: string | undefined;
  /** Events still to come, each made when its turn comes. */
  steps: Array<(at: string) => object>;
}

export function generateLog(dir: string, events: number, days: number): Sample {
  mkdirSync(dir, { recursive: true });
  const sample: Sample = { correlation: [], task: [], workflow: [], event: [] };
  const seen = { correlation: 0, task: 0, workflow: 0, event: 0 };
  const keep = (kind: keyof Sample, id: string) => {
    // Reservoir sampling: every id of a kind that is in the log equally likely to be looked up.
    seen[kind]++;
    if (sample[kind].length < SAMPLE) sample[kind].push(id);
    else if (Math.random() * seen[kind] < SAMPLE) sample[kind][Math.floor(Math.random() * SAMPLE)] = id;
  };
  const active: Story[] = Array.from({ length: ACTIVE }, () => newStory());
  const start = Date.parse("2026-11-20T00:00:00.000Z");
  const stepMs = (days * 86_400_000) / events;
  let line = new AuditLineEncoder(GENESIS);
  let file: { name: string; fd: number } | undefined;
  for (let i = 0; i < events; i++) {
    const loggedAt = new Date(start + Math.floor(i * stepMs)).toISOString();
    const name = auditFileName(loggedAt);
    if (file?.name !== name) {
      if (file) flush(file.fd, line);
      if (file) closeSync(file.fd);
      file = { name, fd: openSync(join(dir, name), "w") };
      line = new AuditLineEncoder(line.lastHash);
    }
    const slot = Math.floor(Math.random() * ACTIVE);
    const story = active[slot]!;
    const event = story.steps.shift()!(loggedAt) as { event_id: string; event_type: string; data: { task_id?: string; workflow_id?: string } };
    if (Math.random() < 0.001) keep("event", event.event_id);
    if (event.event_type === "task.created") keep("correlation", story.correlation);
    if (event.event_type === "task.created" && story.workflow) keep("workflow", story.workflow);
    if (event.event_type === (story.workflow ? "task.assigned" : "task.created")) keep("task", event.data.task_id!);
    line.append(loggedAt, encoder.encode(JSON.stringify(event)));
    if (story.steps.length === 0) active[slot] = newStory();
    if (i % 5_000 === 4_999) flush(file.fd, line);
  }
  if (file) {
    flush(file.fd, line);
    closeSync(file.fd);
  }
  return sample;
}

function flush(fd: number, line: AuditLineEncoder): void {
  const bytes = line.bytes();
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  line.restart(line.lastHash);
}

function newStory(): Story {
  const correlation = `req-${crypto.randomUUID()}`;
  const isWorkflow = Math.random() < 0.5;
  const root = crypto.randomUUID();
  const workflow = isWorkflow ? root : undefined;
  const steps: Story["steps"] = [];
  let cause = `api-${crypto.randomUUID()}`;
  const event = (type: string, source: string, data: object) => (at: string) => {
    const id = crypto.randomUUID();
    const made = { event_id: id, event_type: type, occurred_at: at, data, metadata: { correlation_id: correlation, causation_id: cause, source } };
    cause = id;
    return made;
  };
  steps.push(event("task.created", "task-api", { task_id: root, title: `Review report ${root.slice(0, 8)}`, owner_id: "user-456", priority: 2, ...(workflow ? { workflow: "summarize-then-tag", workflow_id: workflow } : {}), input: { text: TEXT } }));
  steps.push(event("notification.sent", "email-agent", { task_id: root, channel: "email", recipient: "user-456@example.com" }));
  steps.push(event("notification.sent", "slack-agent", { task_id: root, channel: "slack", recipient: "#tasks" }));
  // 1 to 7 steps of 6 events each: 5-50 events in all.
  const stepCount = isWorkflow ? 1 + Math.floor(Math.random() * 7) : 1;
  for (let s = 0; s < stepCount; s++) {
    const task = isWorkflow ? crypto.randomUUID() : root;
    const ids = { task_id: task, ...(workflow ? { workflow_id: workflow, step_id: `step-${s}` } : {}) };
    steps.push(event("task.assigned", "orchestrator", { ...ids, agent_type: "summarizer", attempt: 1, input: { text: TEXT } }));
    steps.push(event("agent.task.accepted", "summarizer-vm-1", { ...ids, agent_id: "summarizer-vm-1", attempt: 1 }));
    steps.push(event("task.started", "orchestrator", { ...ids, agent_id: "summarizer-vm-1" }));
    const failed = Math.random() < 0.02;
    steps.push(event(failed ? "agent.task.failed" : "agent.task.completed", "summarizer-vm-1", { ...ids, agent_id: "summarizer-vm-1", output: { summary: TEXT.slice(0, 60) } }));
    steps.push(event(failed ? "task.failed" : "task.completed", "orchestrator", { ...ids, result: { summary: TEXT.slice(0, 60) } }));
    if (workflow) steps.push(event("workflow.step.completed", "orchestrator", { ...ids }));
  }
  if (workflow) steps.push(event("workflow.completed", "orchestrator", { workflow_id: workflow, workflow: "summarize-then-tag" }));
  if (Math.random() < 0.002) steps.push(deadLetter(correlation, root));
  return { correlation, workflow, steps };
}

function deadLetter(correlation: string, task: string) {
  return (at: string) => ({
    event_id: crypto.randomUUID(),
    event_type: "message.dead_lettered",
    occurred_at: at,
    data: { reason: "invalid", error: "ValidationError: data.priority: must be 1-5", group: "notification-email", original_topic: "task-events", value: JSON.stringify({ event_id: crypto.randomUUID(), event_type: "task.created", data: { task_id: task, priority: 9 }, metadata: { correlation_id: correlation, causation_id: "x", source: "bad" } }) },
    metadata: { correlation_id: correlation, causation_id: task, source: "notification-email" },
  });
}
