// Deno type-checks the program the Deno launcher runs, with Deno's own types (deno.json): what `deno compile`
// would build, short of the base runtime it downloads from Deno's site.
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";

const repository = resolve(import.meta.dir, "..");
// The entry point and the two background workers, each an entry point of its own in a compiled program.
const ENTRY_POINTS = ["src/main.ts", "agents/audit/index-worker.ts", "src/telemetry/export-worker.ts"];

test("deno check passes on the entry point and the workers", () => {
  const deno = Bun.spawnSync(["bash", join(repository, "scripts/ensure-deno.sh")], { stderr: "pipe" }).stdout.toString().trim();
  const check = Bun.spawnSync([deno, "check", "--quiet", ...ENTRY_POINTS], {
    cwd: repository,
    env: { ...process.env, DENO_DIR: join(repository, ".cache/deno-dir"), NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(check.exitCode, `deno check failed:\n${check.stdout.toString()}${check.stderr.toString()}`).toBe(0);
}, 180_000);
