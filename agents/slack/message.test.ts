import { describe, expect, test } from "bun:test";
import { createEvent } from "../../src/events/index.ts";
import { escapeSlackText, taskCreatedMessage } from "./message.ts";

describe("escapeSlackText", () => {
  test("turns Slack control sequences into plain text", () => {
    expect(escapeSlackText("<!channel> <@U123> <https://evil.example|bank>")).toBe(
      "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt;",
    );
  });

  test("escapes & first, so text that looks escaped stays literal", () => {
    expect(escapeSlackText("Q&A")).toBe("Q&amp;A");
    expect(escapeSlackText("&lt;!here&gt;")).toBe("&amp;lt;!here&amp;gt;");
  });

  test("leaves every other character alone", () => {
    const text = `Ship "v2" — it's *done* _now_ 🚀 | #ops`;
    expect(escapeSlackText(text)).toBe(text);
  });
});

describe("taskCreatedMessage", () => {
  test("is one line naming title, priority, owner, task and correlation, with the title escaped", () => {
    const event = createEvent(
      "task.created",
      { task_id: "task-123", title: "Ping <!channel> & go", owner_id: "user-456", priority: 2 },
      { correlation_id: "req-abc-123", causation_id: "api-create-task-123", source: "task-api" },
    );
    expect(taskCreatedMessage(event)).toEqual({
      text: "New task: Ping &lt;!channel&gt; &amp; go (priority 2) for user-456 — task task-123, correlation req-abc-123",
    });
  });
});
