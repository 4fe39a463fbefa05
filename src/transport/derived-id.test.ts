import { describe, expect, test } from "bun:test";
import { UUID_PATTERN } from "../events/identifiers.ts";
import { derivedId } from "./derived-id.ts";

describe("derived ids", () => {
  test("are UUIDs, equal for equal inputs and different otherwise", () => {
    const id = derivedId("event-1", "email");
    expect(id).toMatch(UUID_PATTERN);
    expect(id[14]).toBe("8");
    expect(derivedId("event-1", "email")).toBe(id);
    expect(derivedId("event-1", "slack")).not.toBe(id);
  });
});
