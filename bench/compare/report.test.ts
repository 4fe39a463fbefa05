import { describe, expect, test } from "bun:test";
import { markdownBesideOurs, ratioToOurs, type Row } from "./report.ts";
import { evaluateTargets } from "./results.ts";
import { deno, nodePeer, oursApi, pythonConfirmed } from "./systems.ts";

const row = (system: string, key: string, value: number, better: Row["better"], ours = false): Row => ({
  system,
  workload: "w",
  figure: "f",
  value,
  unit: "",
  better,
  key,
  ours,
});

describe("ratio to ours", () => {
  test("is ours ÷ theirs for throughput and theirs ÷ ours for latency: above 1 means ours is better", () => {
    const rows = [row("ours", "rps", 2000, "higher", true), row("peer", "rps", 500, "higher"), row("ours", "p99", 4, "lower", true), row("peer", "p99", 10, "lower")];
    expect(ratioToOurs(rows, rows[1]!)).toBe(4);
    expect(ratioToOurs(rows, rows[3]!)).toBe(2.5);
    expect(ratioToOurs(rows, rows[0]!)).toBe(1);
  });

  test("is left out without an ours row for the figure, or with a value that is not positive", () => {
    const rows = [row("peer", "rps", 500, "higher"), row("ours", "p99", 0, "lower", true), row("peer", "p99", 10, "lower")];
    expect(ratioToOurs(rows, rows[0]!)).toBeUndefined();
    expect(ratioToOurs(rows, rows[2]!)).toBeUndefined();
  });
});

describe("one system beside ours", () => {
  const rows = [
    row(oursApi.label, "rps", 2000, "higher", true),
    row(deno.label, "rps", 1000, "higher"),
    row(oursApi.label, "rss", 50, "lower", true),
    row(deno.label, "rss", 75, "lower"),
    row(oursApi.label, "p99", 4, "lower", true),
  ];
  const figures = [
    { key: "rps", name: "throughput" },
    { key: "rss", name: "RSS" },
    { key: "p99", name: "p99" },
  ];

  test("gives its value, ours and the ratio to ours per figure, leaving out a figure it lacks", () => {
    expect(markdownBesideOurs(rows, deno.label, figures)).toBe(
      [
        "| figure | agent-events on Deno (from source) | agent-events (Bun binary) | ratio to ours |",
        "|---|---:|---:|---:|",
        "| throughput | 1,000 | 2,000 | 2.00× |",
        "| RSS | 75.0 | 50.0 | 1.50× |",
      ].join("\n"),
    );
  });

  test("is left out when the system has none of the figures", () => {
    expect(markdownBesideOurs(rows, nodePeer.label, figures)).toBeUndefined();
  });
});

describe("targets", () => {
  const c64 = (system: string, rps: number) => row(system, "w1-c64-rps", rps, "higher", system === oursApi.label);
  const rows = [
    c64(oursApi.label, 24_000),
    c64(pythonConfirmed.label, 4_000),
    c64(nodePeer.label, 20_000),
    // Deno's rows are in no target: the ratios below are to the Bun binary's 24,000 alone.
    c64(deno.label, 48_000),
    row(oursApi.label, "w1-c64-p99", 30, "lower", true),
    row(oursApi.label, "w3-p99", 12, "lower", true),
  ];
  const targets = Object.fromEntries(evaluateTargets(rows).map((t) => [t.name, t]));

  test("a ratio goal is met at or above it, and a miss says what ours would need", () => {
    expect(targets["1. c=64 throughput vs the spec's Python service, delivery confirmed"]).toMatchObject({ met: true, measured: "6.00×" });
    expect(targets["1. c=64 throughput vs Node with Confluent's client"]).toMatchObject({
      met: false,
      measured: "1.20×",
      margin: "short by 20%: needs 30,000 where ours has 24,000",
    });
  });

  test("a limit is met at or under it, and a miss says by how much", () => {
    expect(targets["1. c=64 p99 latency"]).toMatchObject({ met: false, margin: "over by 5.00 ms (20%)" });
    expect(targets["3. end-to-end p99 (request → audit line)"]).toMatchObject({ met: true, margin: "38.0 ms under the limit" });
  });

  test("a target whose workload did not run is left out", () => {
    expect(Object.keys(targets)).not.toContain("2. audit throughput vs the spec's audit agent");
    expect(Object.keys(targets)).not.toContain("4. api role idle RSS");
  });
});
