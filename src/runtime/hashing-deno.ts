import { createHash } from "node:crypto";
import type { Hashing } from "./hashing.ts";
import { wyhash53 } from "./wyhash.ts";

export const hashing: Hashing = {
  createSha256: () => createHash("sha256"),
  sha256Into: (bytes, digest) => digest.set(createHash("sha256").update(bytes).digest()),
  wyhash53,
};
