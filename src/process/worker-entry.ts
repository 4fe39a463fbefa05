import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The URL to start a Worker on, from source or from the compiled binary. From source it is `source`, the file
 * beside its caller. In the binary the caller is bundled into the main entry point, which sits at the root of
 * the embedded files, and the worker is an entry point of its own there, under `fromRoot`, its path from the
 * repository's root with a .js extension (scripts/build-binary.sh): Bun does not rewrite a Worker's URL when
 * it bundles.
 */
export function workerEntryUrl(source: URL, fromRoot: string): string {
  if (source.protocol === "file:" && existsSync(fileURLToPath(source.href))) return source.href;
  return new URL(`./${fromRoot}`, import.meta.url).href;
}
