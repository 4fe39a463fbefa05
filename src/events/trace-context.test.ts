import { describe, expect, test } from "bun:test";
import { childContext, formatTraceparent, isSampled, parseTraceparent, parseTracestate } from "./trace-context.ts";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";
const VALID = `00-${TRACE}-${SPAN}-01`;

describe("traceparent", () => {
  test("a valid header is read into its trace, span and flags, and formats back to itself", () => {
    const context = parseTraceparent(VALID);
    expect(context).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    expect(formatTraceparent(context!)).toBe(VALID);
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["upper-case hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`],
    ["an all-zero span id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE}-${SPAN}-01`],
    ["version 00 with more fields", `${VALID}-extra`],
    ["a short trace id", `00-${TRACE.slice(1)}-${SPAN}-01`],
    ["not hex", `00-${TRACE.slice(0, -1)}g-${SPAN}-01`],
    ["garbage", "hello"],
  ])("is ignored when %s, so a new trace starts", (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  test("a later version is read by its first four fields, as the spec asks", () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-whatever`)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
  });

  test("unknown flag bits are kept; only bit 0 means sampled", () => {
    const context = parseTraceparent(`00-${TRACE}-${SPAN}-02`)!;
    expect(isSampled(context)).toBe(false);
    expect(formatTraceparent(childContext(context))).toEndWith("-02");
  });

  test("its tracestate comes along when well formed", () => {
    expect(parseTraceparent(VALID, "congo=t61rcWkgMzE")?.tracestate).toBe("congo=t61rcWkgMzE");
    expect(parseTraceparent(VALID, "not a member")?.tracestate).toBeUndefined();
  });
});

describe("childContext", () => {
  test("a child keeps its parent's trace, flags and tracestate under a new span id", () => {
    const parent = parseTraceparent(VALID, "rojo=00f067aa0ba902b7")!;
    const child = childContext(parent);
    expect(child.traceId).toBe(TRACE);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(SPAN);
    expect(child.flags).toBe(1);
    expect(child.tracestate).toBe("rojo=00f067aa0ba902b7");
  });

  test("without a parent a new sampled trace starts", () => {
    const root = childContext(undefined);
    expect(formatTraceparent(root)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
  });

  test("ids do not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => childContext(undefined).spanId));
    expect(ids.size).toBe(10_000);
  });
});

describe("tracestate", () => {
  test("members are kept in order, blanks and empty members removed", () => {
    expect(parseTracestate(" rojo=00f067aa0ba902b7 , ,congo=t61rcWkgMzE")).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  });

  test("a multi-tenant key is a valid key", () => {
    expect(parseTracestate("tenant@vendor=value")).toBe("tenant@vendor=value");
  });

  test.each([
    ["a member without =", "rojo"],
    ["an upper-case key", "Rojo=1"],
    ["an equals sign in the value", "rojo=a=b"],
    ["more than 32 members", Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(",")],
    ["over 512 characters", `k=${"v".repeat(520)}`],
    ["nothing but commas", ",,"],
  ])("is dropped whole with %s", (_name, header) => {
    expect(parseTracestate(header)).toBeUndefined();
  });
});
