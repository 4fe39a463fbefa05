import { describe, expect, test } from "bun:test";
import type { TracedEvent } from "../../../src/trace/causation-tree.ts";
import { traceRoutes, type TraceSource } from "./index.tsx";

const HOSTILE_TITLE = `<script>alert("owned")</script> & "quotes"`;

function event(eventId: string, eventType: string, causationId: string | undefined, ms: number, extra: Partial<TracedEvent> = {}): TracedEvent {
  const occurredAt = new Date(Date.UTC(2026, 10, 24, 9, 30, 0, ms)).toISOString();
  const data = eventType === "task.created" ? { task_id: "task-1", title: HOSTILE_TITLE } : { task_id: "task-1" };
  return {
    eventId,
    eventType,
    source: eventType.startsWith("agent.") ? "summarizer-1" : eventType === "task.created" ? "task-api" : "orchestrator",
    occurredAt,
    correlationId: "req-42",
    causationId,
    json: JSON.stringify({ event_id: eventId, event_type: eventType, occurred_at: occurredAt, data }),
    ...extra,
  };
}

const STORY = [
  event("e1", "task.created", "api-create-task-1", 0),
  event("e2", "task.assigned", "e1", 3),
  event("e3", "agent.task.accepted", "e2", 5),
  event("e4", "agent.task.failed", "e3", 950),
  event("e4-dlq", "agent.task.failed", "e4", 960, {
    deadLetter: { reason: "handler-failed", error: "Error: SMTP refused <b>", topic: "agent-results", group: "notification-email" },
  }),
];

function pages(source: Partial<TraceSource> = {}, fail?: Error) {
  const index: TraceSource = {
    story: (id) => (["req-42", "task-1", "e3"].includes(id) ? STORY : []),
    recent: (_limit, of) =>
      of === "agents"
        ? [{ correlationId: "agent:summarizer-1", firstAt: STORY[0]!.occurredAt, lastAt: STORY[4]!.occurredAt, events: 40, failures: 0 }]
        : [{ correlationId: "req-42", firstAt: STORY[0]!.occurredAt, lastAt: STORY[4]!.occurredAt, events: 5, failures: 2, title: HOSTILE_TITLE }],
    ...source,
  };
  return traceRoutes(() => {
    if (fail) throw fail;
    return index;
  });
}

describe("GET /trace/{id}", () => {
  test("shows the story under any of its ids, each event nested under the one that caused it", async () => {
    for (const id of ["req-42", "task-1", "e3"]) {
      const response = await pages().request(`/trace/${id}`);
      expect(response.status).toBe(200);
      const html = await response.text();
      // e2 sits inside e1's list item, e3 inside e2's: the nesting is the causation.
      const [e1, e2, e3, e4] = ["e1", "e2", "e3", "e4"].map((name) => html.indexOf(`data-event-id="${name}"`));
      expect(e1).toBeGreaterThan(-1);
      expect(e1).toBeLessThan(e2!);
      expect(e2).toBeLessThan(e3!);
      expect(e3).toBeLessThan(e4!);
      expect(html.slice(e1!, e2!)).toContain("<ul>");
    }
  });

  test("shows the gap since each event's cause, in the tree and on the waterfall", async () => {
    const html = await (await pages().request("/trace/req-42")).text();
    expect(html).toContain("+945 ms");
    expect(html).toMatch(/class="bar [^"]*" style="left: 0\.52%; width: 98\.44%"/);
  });

  test("escapes the title and every field: markup in user input stays text", async () => {
    const html = await (await pages().request("/trace/req-42")).text();
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;");
  });

  test("marks failures and names the group that dead-lettered a message, with its reason", async () => {
    const html = await (await pages().request("/trace/req-42")).text();
    expect(html.match(/aria-label="failed"/g)).toHaveLength(2);
    expect(html).toContain("dead-lettered by notification-email (handler-failed): Error: SMTP refused &lt;b&gt;");
  });

  test("holds each event's full JSON, folded until opened", async () => {
    const html = await (await pages().request("/trace/req-42")).text();
    expect(html).toContain("<details><summary>");
    expect(html).toContain("&quot;event_id&quot;: &quot;e2&quot;");
  });

  test("forbids scripts with its Content-Security-Policy", async () => {
    const response = await pages().request("/trace/req-42");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  test("answers 404 naming the id when nothing has it", async () => {
    const response = await pages().request("/trace/nobody");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("No audited event has nobody as its correlation, task, workflow or event id");
  });

  test("answers 400 to an id longer than any id can be", async () => {
    const response = await pages().request(`/trace/${"x".repeat(201)}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("at most 200 characters; this one has 201");
  });

  test("answers 503 with the reason when the index cannot be read", async () => {
    const response = await pages({}, new Error("disk I/O error")).request("/trace/req-42");
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("The trace index cannot be read: disk I/O error");
  });
});

describe("GET /trace", () => {
  test("lists recent correlations, linked to their stories, titles escaped", async () => {
    const response = await pages().request("/trace");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<a href="/trace/req-42">req-42</a>');
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('name="id"');
  });

  test("lists the agents' own stories apart, below the requests", async () => {
    const html = await (await pages().request("/trace")).text();
    expect(html.indexOf('href="/trace/agent%3Asummarizer-1"')).toBeGreaterThan(html.indexOf('href="/trace/req-42"'));
    expect(html).toContain("<h2>Agents</h2>");
  });

  test("sends a search to the id's page", async () => {
    const response = await pages().request("/trace?id=%20task-1%20");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/trace/task-1");
  });

  test("says so when nothing is audited yet", async () => {
    expect(await (await pages({ recent: () => [] }).request("/trace")).text()).toContain("No events audited yet.");
  });
});
