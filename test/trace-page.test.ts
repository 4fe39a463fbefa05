// The trace pages in a real browser: Debian's chromium, headless, renders /trace and /trace/{id} from the
// audit role (compiled binary, real broker) after a workflow ran through api, orchestrator and two workers.
// Checked on the DOM the browser built, with JavaScript off in effect (the pages carry none), and pictured.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AgentProcess, eventually } from "./support/agent-process.ts";
import { testBootstrap } from "./support/kafka-cluster.ts";

const ROOT = resolve(import.meta.dir, "..");
const HOSTILE_TITLE = `<script>document.title="owned"</script> Brief the launch notes`;
const correlationId = `trace-page-${crypto.randomUUID()}`;

let dir: string;
let chromium: string;
const roles: AgentProcess[] = [];
let api: AgentProcess;
let audit: AgentProcess;
let workflowId: string;

function start(args: string[], env: Record<string, string>): AgentProcess {
  const role = new AgentProcess(args, { KAFKA_BOOTSTRAP_SERVERS: testBootstrap(), ...env });
  roles.push(role);
  return role;
}

/** Runs headless chromium on `url` with `flags`; resolves with its standard output. */
async function browse(url: string, flags: string[]): Promise<string> {
  const run = Bun.spawn([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", `--user-data-dir=${join(dir, "chromium")}`, ...flags, url], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  if (code !== 0) throw new Error(`chromium exited with ${code}: ${err}`);
  return out;
}

beforeAll(async () => {
  const found = Bun.spawnSync(["bash", join(ROOT, "scripts/ensure-chromium.sh")], { stderr: "inherit" });
  if (found.exitCode !== 0) throw new Error("chromium could not be installed");
  chromium = found.stdout.toString().trim();
  dir = mkdtempSync(join(tmpdir(), "trace-page-"));
  audit = start(["--role=audit"], { DATA_DIR: join(dir, "audit-data"), AUDIT_LOG_DIR: join(dir, "audit") });
  start(["--role=orchestrator"], { DATA_DIR: join(dir, "orchestrator"), WORKFLOWS_FILE: join(ROOT, "examples/workflows.yaml") });
  for (const type of ["summarizer", "keywords"]) start(["--role=worker"], { DATA_DIR: join(dir, type), AGENT_TYPE: type });
  api = start(["--role=api"], { DATA_DIR: join(dir, "api"), WORKFLOWS_FILE: join(ROOT, "examples/workflows.yaml") });
  await Promise.all(roles.map((role) => role.ready()));

  const response = await eventually(async () => {
    const answer = await fetch(`${api.url}/tasks`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Correlation-ID": correlationId },
      body: JSON.stringify({
        title: HOSTILE_TITLE,
        owner_id: "user-7",
        workflow: "brief",
        input: { text: "The launch moved to March. Sales wants new slides. Support needs a runbook before then." },
      }),
    });
    // 503 until the api's registry has seen the workers.
    return answer.status === 503 ? undefined : answer;
  });
  expect(response.status).toBe(201);
  workflowId = ((await response.json()) as { id: string }).id;
  // The story is complete once the audit role has indexed every event of the run, whichever topic each came
  // on: three steps, each assigned, accepted and reported, and the run's end.
  await eventually(async () => {
    const page = await fetch(`${audit.url}/trace/${correlationId}`);
    if (page.status !== 200) return undefined;
    const html = await page.text();
    const count = (type: string) => html.split(`<span class="type mono">${type}</span>`).length - 1;
    const complete = ["task.assigned", "agent.task.accepted", "agent.task.completed", "task.started", "task.completed", "workflow.step.completed"].every((type) => count(type) === 3);
    return complete && count("workflow.completed") === 1 ? true : undefined;
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(roles.map((role) => role.kill("SIGTERM")));
});

describe("the trace page in a browser", () => {
  test("renders the run's causation tree: every event under its cause, the title as text, no script element", async () => {
    const dom = await browse(`${audit.url}/trace/${correlationId}`, ["--dump-dom"]);
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain("&lt;script&gt;document.title=\"owned\"&lt;/script&gt; Brief the launch notes");
    expect(dom).toMatch(/<title>Trace trace-page-[0-9a-f-]+ · agent-events<\/title>/);
    // task.created is the one root; the workflow's start is its child, and its end comes at the bottom of the
    // chain of steps, each assigned under the completion it waited for. Depths as the waterfall indents them.
    const position = (type: string) => dom.indexOf(`<span class="type mono">${type}</span>`);
    for (const type of ["task.created", "workflow.started", "task.assigned", "agent.task.accepted", "agent.task.completed", "workflow.step.completed", "workflow.completed"]) {
      expect(position(type)).toBeGreaterThan(-1);
    }
    const depths = [...dom.matchAll(/style="padding-left: ([\d.]+)rem" title="([a-z._]+) from/g)].map(([, rem, type]) => ({ type, depth: Math.round(Number(rem) / 0.9) }));
    const depthOf = (type: string) => depths.find((row) => row.type === type)!.depth;
    expect(depths.filter((row) => row.depth === 0).map((row) => row.type)).toEqual(["task.created"]);
    expect(depthOf("workflow.started")).toBe(1);
    // summary or keywords, then headline: two steps of assignment, acceptance, report, completion below the root.
    expect(depthOf("workflow.completed")).toBeGreaterThanOrEqual(11);
    // Three steps, each assigned, accepted and completed: the waterfall has a row per event.
    expect(dom.match(/<span class="type mono">task\.assigned<\/span>/g)).toHaveLength(3);
    const rows = dom.match(/class="row( row-bad)?"/g) ?? [];
    expect(rows.length).toBe((dom.match(/data-event-id=/g) ?? []).length);
  });

  test("finds the same story by the workflow run's id", async () => {
    const dom = await browse(`${audit.url}/trace/${workflowId}`, ["--dump-dom"]);
    expect(dom).toContain(correlationId);
    expect(dom).toContain("workflow.completed");
  });

  test("lists the run among the recent correlations, linked, its title escaped", async () => {
    const dom = await browse(`${audit.url}/trace`, ["--dump-dom"]);
    expect(dom).toContain(`<a href="/trace/${correlationId}">${correlationId}</a>`);
    expect(dom).toContain("&lt;script&gt;document.title");
    expect(dom).not.toMatch(/<script/i);
  });

  test("takes a screenshot of the page", async () => {
    const file = join(dir, "trace-page.png");
    await browse(`${audit.url}/trace/${correlationId}`, [`--screenshot=${file}`, "--window-size=1280,1500"]);
    const png = readFileSync(file);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // A blank page compresses to a few kilobytes; text, tree and bars take far more.
    expect(statSync(file).size).toBeGreaterThan(30_000);
    console.error(`trace page screenshot: ${file}`);
  });
});
