import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { anyEvent } from "../../test/fixtures/events/arbitraries.ts";
import { EVENT_TYPES, eventDataSchemas } from "./catalog/index.ts";
import { tryFastPath } from "./fast-path.ts";
import { validateWithSchemas } from "./parse.ts";
import { compileGuard } from "./schema-guard.ts";

// Replaces or removes one field somewhere in the event, to produce inputs near the valid ones.
const oddValue = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 6, 1001, 2.5, "", "a b", "x".repeat(600), [], {}, "2025-01-15T14:30:22Z"),
  // Over a task input's 64 KiB, placed anywhere: inside the input it makes the whole input too large.
  fc.constant("x".repeat(64 * 1024)),
  fc.string(),
  fc.integer(),
);

function mutate(event: unknown, path: readonly string[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(event) as Record<string, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof target[key] !== "object" || target[key] === null) return copy;
    target = target[key] as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

const fieldPath = fc.oneof(
  fc.constantFrom(["event_id"], ["event_type"], ["occurred_at"], ["data"], ["metadata"]),
  fc.constantFrom(["metadata", "correlation_id"], ["metadata", "causation_id"], ["metadata", "source"]),
  fc.constantFrom(
    ...["task_id", "title", "owner_id", "priority", "agent_id", "agent_type", "status", "retriable", "reason"]
      .concat(["workflow_id", "step_id", "step_name", "name", "channel", "recipient", "summary", "__proto__"])
      .concat(["attempt", "input", "deadline", "version", "skills", "concurrency", "host"])
      .concat(["in_flight", "completed", "failed", "output", "duration_ms"])
      .map((key) => ["data", key]),
  ),
  // Inside a task's input, and inside the first skill of a registration.
  fc.constant(["data", "input", "padding"]),
  fc.constantFrom(
    ...["id", "name", "description", "tags", "examples", "inputModes", "outputModes", "__proto__"]
      .map((key) => ["data", "skills", "0", key]),
  ),
);

describe("the fast path", () => {
  test("has a compiled guard for every catalog schema, so no type silently takes the slow path", () => {
    for (const type of EVENT_TYPES) expect(compileGuard(eventDataSchemas[type])).toBeFunction();
  });

  test("accepts every valid event with the same result as the schemas", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        const slow = validateWithSchemas(event);
        expect(tryFastPath(event)).toEqual({ known: true, event });
        expect(slow).toEqual({ ok: true, known: true, event });
      }),
    );
  });

  test("never accepts what the schemas refuse, and agrees with them on what it accepts", () => {
    fc.assert(
      fc.property(anyEvent, fieldPath, oddValue, fc.boolean(), (event, path, value, remove) => {
        const input = mutate(event, path, value, remove);
        const fast = tryFastPath(input);
        const slow = validateWithSchemas(input);
        if (fast === undefined) return;
        expect(slow).toEqual({ ok: true, ...fast });
      }),
      { numRuns: 2000 },
    );
  });

  test("leaves data with a __proto__ key to the schemas, which drop it", () => {
    const input = JSON.parse(
      `{"event_id":"e7c5a8f2-3b4d-4e6a-9f1c-2d8e7a6b5c4d","event_type":"task.assigned",` +
        `"occurred_at":"2025-01-15T14:30:22.456Z",` +
        `"data":{"task_id":"t","agent_type":"a","attempt":1,"input":{},"__proto__":{"x":1}},` +
        `"metadata":{"correlation_id":"c","causation_id":"c","source":"s"}}`,
    );
    expect(tryFastPath(input)).toBeUndefined();
    const slow = validateWithSchemas(input);
    if (!slow.ok) throw slow.error;
    expect(Object.hasOwn(slow.event.data, "__proto__")).toBe(false);
  });
});
