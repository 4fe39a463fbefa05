// The compiler as a test: type-level checks (the @ts-expect-error lines in src/events/create.test.ts, the
// types every file relies on) hold only if tsc finds no error in the whole project.
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const repository = resolve(import.meta.dir, "..");

test("the whole project type-checks with tsc --noEmit, each @ts-expect-error meeting its error", async () => {
  const tsc = Bun.spawn([resolve(repository, "node_modules/.bin/tsc"), "--noEmit", "-p", "."], {
    cwd: repository,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(tsc.stdout).text(),
    new Response(tsc.stderr).text(),
    tsc.exited,
  ]);
  expect(exitCode, `tsc --noEmit -p . failed:\n${stdout}${stderr}`).toBe(0);
}, 180_000);
