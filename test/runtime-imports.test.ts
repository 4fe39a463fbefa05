// One source tree for Bun and Deno: only src/runtime/ may use what one runtime has and the other lacks.
// A module elsewhere that imports bun:ffi, or calls Bun.serve, would load on Bun and fail on Deno.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repository = resolve(import.meta.dir, "..");
const RUNTIME_DIR = "src/runtime/";

/** Modules of one runtime only. (node:* modules both implement are fine, but for node:sqlite: Bun's is slower.) */
const RUNTIME_MODULE = /^(?:bun|bun:.*|node:sqlite)$/;
/** Import attributes only Bun's bundler knows. */
const BUN_ONLY_ATTRIBUTE = /with\s*\{\s*type:\s*["'](?:file|sqlite|toml)["']\s*\}/;
const RUNTIME_GLOBAL = /(?<![\w.$])(?:Bun|Deno)\s*\./;

/** Program files: those the roles and commands run, not the tests and the helpers only tests import. */
function programFiles(dir: string): string[] {
  return readdirSync(join(repository, dir), { recursive: true, encoding: "utf8" })
    .map((name) => `${dir}/${name}`)
    .filter((path) => path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.endsWith(".contract.ts") && !path.endsWith(".d.ts"));
}

/** The source without comments and string contents, so that a comment naming Bun.serve is no use of it. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1")
    .replace(/`(?:\\.|[^`\\])*`/g, "``");
}

function importedModules(source: string): string[] {
  const modules: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)) modules.push(match[1]!);
  return modules;
}

function problemsOf(path: string): string[] {
  const source = readFileSync(join(repository, path), "utf8");
  const problems = importedModules(source)
    .filter((module) => RUNTIME_MODULE.test(module))
    .map((module) => `${path} imports ${module}`);
  if (BUN_ONLY_ATTRIBUTE.test(source)) problems.push(`${path} imports with an attribute only Bun knows`);
  const global = code(source).match(RUNTIME_GLOBAL);
  if (global) problems.push(`${path} uses ${global[0].trim()}`);
  return problems;
}

describe("runtime-specific code", () => {
  const files = [...programFiles("src"), ...programFiles("agents")];

  test("the scan finds the program's modules, and the adapters' use of each runtime", () => {
    expect(files.length).toBeGreaterThan(100);
    const adapters = files.filter((path) => path.startsWith(RUNTIME_DIR));
    const found = adapters.flatMap(problemsOf).join("\n");
    for (const use of ["imports bun:ffi", "imports bun:sqlite", "uses Bun.", "uses Deno."]) expect(found).toContain(use);
  });

  test("sits in src/runtime/ alone: no other program module imports a runtime's own modules or uses its globals", () => {
    const problems = files.filter((path) => !path.startsWith(RUNTIME_DIR)).flatMap(problemsOf);
    expect(problems).toEqual([]);
  });
});
