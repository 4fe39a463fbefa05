/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate` values every
 * event carries in its Kafka headers and every handler request in its HTTP headers.
 *
 * Written by hand rather than taken from @opentelemetry/core's propagator: that would load the SDK in every
 * process, and the point of tracing without an exporter is that it costs one header per event and nothing more.
 */

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

/** Where an event or request stands in a trace: its trace, its own span, whether the trace is sampled. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** Bit 0 is `sampled`; the other bits are passed on untouched, as the spec asks of version 00. */
  readonly flags: number;
  /** Vendor data, passed on unchanged; undefined when absent or not well formed. */
  readonly tracestate?: string;
}

const SAMPLED = 0x01;
// Version 00 is exactly 55 characters; a later version may add fields after a dash, which a 00 reader ignores.
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A `traceparent` value, or undefined for anything the spec says to ignore (then a new trace starts). */
export function parseTraceparent(value: string | null | undefined, tracestate?: string | null): TraceContext | undefined {
  if (!value) return undefined;
  const match = TRACEPARENT_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  if (version === "00" && rest !== undefined) return undefined;
  const state = parseTracestate(tracestate);
  return { traceId, spanId, flags: parseInt(flags, 16), ...(state !== undefined ? { tracestate: state } : {}) };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.flags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * A new span in `parent`'s trace, or the root of a new trace. A new trace is marked sampled: a handler's own
 * tracer that follows its parent's decision then records the trace we started.
 */
export function childContext(parent: TraceContext | undefined): TraceContext {
  if (!parent) return { traceId: randomHex(16), spanId: randomHex(8), flags: SAMPLED };
  return { ...parent, spanId: randomHex(8) };
}

export function isSampled(context: TraceContext): boolean {
  return (context.flags & SAMPLED) !== 0;
}

const TRACESTATE_MAX_MEMBERS = 32;
const TRACESTATE_MAX_LENGTH = 512;
// key: a simple key or tenant@system; value: printable ASCII but comma and equals, not ending in a space.
const TRACESTATE_MEMBER = /^[a-z0-9][_0-9a-z\-*/]{0,255}(@[a-z][_0-9a-z\-*/]{0,13})?=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * `tracestate` checked lightly and passed on as it came: a value that is too long or has a member that is not
 * `key=value` is dropped whole, as the spec allows, rather than repaired. Empty members are removed.
 */
export function parseTracestate(value: string | null | undefined): string | undefined {
  if (!value || value.length > TRACESTATE_MAX_LENGTH * 2) return undefined;
  const members = value
    .split(",")
    .map((member) => member.trim())
    .filter((member) => member !== "");
  if (members.length === 0 || members.length > TRACESTATE_MAX_MEMBERS) return undefined;
  if (!members.every((member) => TRACESTATE_MEMBER.test(member))) return undefined;
  const joined = members.join(",");
  return joined.length <= TRACESTATE_MAX_LENGTH ? joined : undefined;
}

// Random bytes are drawn a page at a time: one getRandomValues call per id would cost more than the id.
const pool = new Uint8Array(4096);
let poolAt = pool.length;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      crypto.getRandomValues(pool);
      poolAt = 0;
    }
    let hex = "";
    let zero = true;
    for (let i = 0; i < bytes; i++) {
      const byte = pool[poolAt++]!;
      if (byte !== 0) zero = false;
      hex += HEX[byte];
    }
    // All zeros is the spec's invalid id; drawn once in 2^64, but then it must not go out.
    if (!zero) return hex;
  }
}
