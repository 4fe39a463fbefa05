/*
 * The audit line and its hash chain.
 *
 * One line per event, UTF-8, ending in "\n":
 *   {"logged_at":"2025-01-15T14:30:22.456Z","event":{<the envelope>},"prev":"<64 hex>","hash":"<64 hex>"}
 *
 * The record R is the JSON text {"logged_at":<logged_at>,"event":<event>}: no spaces, keys in that order,
 * <event> the message's bytes as received, or eventToJson(event) when those would not sit on one line
 * (agents/audit/index.ts). Then
 *   hash = lower-case hex SHA-256 of the UTF-8 bytes of  prev + "\n" + R
 * and the line is R with its closing "}" replaced by ,"prev":"<prev>","hash":"<hash>"}. R is thus read back
 * from the line's own bytes (drop the fixed-length tail, put the "}" back), so a verifier in any language
 * needs no JSON canonicalisation and every changed byte of R changes the hash.
 *
 * `prev` is the hash of the line before, across files in date order; the first line of a directory chains
 * from GENESIS. A line that is not a record (what a write torn by a crash leaves) is chained as it stands:
 * the next record's prev is SHA-256 of prev + "\n" + that line's bytes, so it is covered like any other.
 *
 * The chain shows a changed, removed or reordered line, not a rewrite of the whole tail with fresh hashes:
 * that needs the latest hash kept elsewhere (the agent logs it at start-up).
 */
import { createSha256 } from "../../src/runtime/hashing.ts";

export const GENESIS = "0".repeat(64);

const HASH = /^[0-9a-f]{64}$/;
const TAIL_LENGTH = ',"prev":"'.length + 64 + '","hash":"'.length + 64 + '"}'.length;
// ignoreBOM keeps a byte-order mark in the text, where JSON.parse refuses it, instead of dropping it unhashed.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface AuditRecord {
  readonly loggedAt: string;
  readonly eventId: string;
  readonly prev: string;
  readonly hash: string;
  /** R, as hashed. */
  readonly record: string;
}

export type ParsedLine = { readonly ok: true; readonly entry: AuditRecord } | { readonly ok: false; readonly reason: string };

export function formatRecord(loggedAt: string, eventJson: string): string {
  return `{"logged_at":${JSON.stringify(loggedAt)},"event":${eventJson}}`;
}

export function chainHash(prev: string, record: string | Uint8Array): string {
  return createSha256().update(`${prev}\n`).update(record).digest("hex");
}

/** The line for a record, without its "\n". */
export function formatLine(record: string, prev: string, hash: string): string {
  return `${record.slice(0, -1)},"prev":"${prev}","hash":"${hash}"}`;
}

/** Reads one line (without its "\n") as a record; says why when it is not one. Does not check the hash. */
export function parseLine(bytes: Uint8Array): ParsedLine {
  let line: string;
  let value: unknown;
  try {
    line = decoder.decode(bytes);
  } catch {
    return { ok: false, reason: "bad UTF-8" };
  }
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: "bad JSON" };
  }
  if (typeof value !== "object" || value === null) return { ok: false, reason: "not an audit record: not an object" };
  const { logged_at: loggedAt, event, prev, hash } = value as Record<string, unknown>;
  const eventId = typeof event === "object" && event !== null ? (event as Record<string, unknown>).event_id : undefined;
  if (typeof loggedAt !== "string" || typeof eventId !== "string") {
    return { ok: false, reason: "not an audit record: logged_at or event.event_id is missing" };
  }
  if (typeof prev !== "string" || !HASH.test(prev) || typeof hash !== "string" || !HASH.test(hash)) {
    return { ok: false, reason: "not an audit record: prev or hash is not 64 hex digits" };
  }
  if (!line.endsWith(`,"prev":"${prev}","hash":"${hash}"}`)) {
    return { ok: false, reason: "not an audit record: prev and hash are not the last fields" };
  }
  return { ok: true, entry: { loggedAt, eventId, prev, hash, record: `${line.slice(0, -TAIL_LENGTH)}}` } };
}
