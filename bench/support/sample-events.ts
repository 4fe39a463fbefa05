import { createEvent, type DomainEvent } from "../../src/events/index.ts";

/** A task.created of about 1 KiB, as benchmarks use it: known fields plus pass-through ones filling the rest. */
export function sampleTaskCreated(i: number): DomainEvent<"task.created"> {
  return createEvent(
    "task.created",
    {
      task_id: `task-${crypto.randomUUID()}`,
      title: `Review quarterly report ${i}: ${"revenue, costs, headcount and outlook; ".repeat(8)}`.slice(0, 300),
      owner_id: `user-${i}`,
      priority: 1 + (i % 5),
      description: "Compare against the plan and flag variances over five percent. ".repeat(5),
      labels: ["finance", "quarterly", "review"],
    },
    { correlation_id: crypto.randomUUID(), causation_id: `api-create-${i}`, source: "task-api" },
  );
}
