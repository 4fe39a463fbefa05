import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { dataArbitraries, eventOf } from "../../test/fixtures/events/arbitraries.ts";
import { EVENT_TYPES, eventDataSchemas, type EventType } from "./catalog/index.ts";
import { parseEvent } from "./parse.ts";
import { serializeEvent } from "./serialize.ts";

describe("parse(serialize(event))", () => {
  test("there is an arbitrary for every catalog type", () => {
    expect(Object.keys(dataArbitraries).sort()).toEqual([...EVENT_TYPES].sort());
  });

  test.each(EVENT_TYPES.map((type) => [type]))("gives back the same %s event", (type) => {
    fc.assert(
      fc.property(eventOf(type as EventType), (event) => {
        const result = parseEvent(serializeEvent(event));
        expect(result).toEqual({ ok: true, known: true, event });
      }),
      { numRuns: 200 },
    );
  });

  test("gives back the same event when the bytes arrive as a string", () => {
    fc.assert(
      fc.property(eventOf("task.created"), (event) => {
        const text = new TextDecoder().decode(serializeEvent(event));
        expect(parseEvent(text)).toEqual({ ok: true, known: true, event });
      }),
    );
  });

  test("the generated data is what the schemas accept, so the round trip tests valid events", () => {
    for (const type of EVENT_TYPES) {
      fc.assert(
        fc.property(dataArbitraries[type], (data) => {
          expect(eventDataSchemas[type]["~run"]({ value: data }, {}).issues).toBeUndefined();
        }),
        { numRuns: 50 },
      );
    }
  });
});
