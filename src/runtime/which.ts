/**
 * Which runtime runs this program. Only src/runtime/ asks: everything else imports the adapters beside this
 * file and never a runtime's own modules or globals (test/runtime-imports.test.ts checks).
 */
export type RuntimeName = "bun" | "deno";

const globals = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };

export const runtime: RuntimeName = globals.Bun ? "bun" : globals.Deno ? "deno" : (() => {
  throw new Error("agent-events runs on Bun or Deno");
})();

/** E.g. "bun 1.4.5" or "deno 2.9.6", for logs and the version line. */
export const runtimeVersion = runtime === "bun" ? `bun ${globals.Bun!.version}` : `deno ${globals.Deno!.version.deno}`;
