import type { Hashing } from "./hashing.ts";

export const hashing: Hashing = {
  createSha256: () => new Bun.CryptoHasher("sha256"),
  sha256Into: (bytes, digest) => void Bun.SHA256.hash(bytes, digest),
  wyhash53: (input) => Number(Bun.hash.wyhash(input) >> 11n),
};
