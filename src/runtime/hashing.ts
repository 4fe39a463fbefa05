/*
 * Hashes whose fastest form differs by runtime. Under Bun, its own: there node:crypto's SHA-256 took 10-20%
 * longer for an audit chain hash and about 40% longer for the line encoder's, which Bun.SHA256 writes into a
 * buffer the encoder keeps. Under Deno, node:crypto, and a wyhash in TypeScript that gives Bun's numbers.
 */
import { runtime } from "./which.ts";

/** An incremental SHA-256: strings are hashed as UTF-8. */
export interface Sha256 {
  update(data: string | Uint8Array): Sha256;
  digest(encoding: "hex"): string;
}

export interface Hashing {
  createSha256(): Sha256;
  /** Writes the SHA-256 of `bytes` into `digest` (32 bytes). */
  sha256Into(bytes: Uint8Array, digest: Uint8Array): void;
  /** The top 53 bits of wyhash (seed 0) of the UTF-8 bytes or bytes, the same on every runtime: it is stored. */
  wyhash53(input: string | Uint8Array): number;
}

const hashing: Hashing = runtime === "bun" ? (await import("./hashing-bun.ts")).hashing : (await import("./hashing-deno.ts")).hashing;

export const { createSha256, sha256Into, wyhash53 } = hashing;
