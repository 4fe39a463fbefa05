import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

const ROOT = resolve(import.meta.dir, "../..");
const START_DEADLINE_MS = 60_000;

/** A Zipkin span as its HTTP API returns it (/api/v2/trace/{id}). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/**
 * Zipkin's server (in-memory storage) on a port of its own, for tests and benchmarks that check what the roles
 * export. Its jar comes from Maven Central through scripts/fetch-zipkin.sh.
 */
export class Zipkin {
  private constructor(
    private readonly process: Subprocess<"ignore", "ignore", "pipe">,
    readonly url: string,
  ) {}

  static async start(): Promise<Zipkin> {
    const fetched = Bun.spawnSync(["bash", join(ROOT, "scripts/fetch-zipkin.sh")], { stderr: "inherit" });
    if (fetched.exitCode !== 0) throw new Error("scripts/fetch-zipkin.sh failed");
    const jar = fetched.stdout.toString().trim();
    const port = await freePort();
    const process = Bun.spawn(["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar], {
      // A benchmark sends hundreds of thousands of spans: the oldest are let go before the heap fills.
      env: { PATH: Bun.env.PATH ?? "/usr/bin:/bin", QUERY_PORT: String(port), MEM_MAX_SPANS: "100000", JAVA_HOME: Bun.env.JAVA_HOME ?? "" },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const zipkin = new Zipkin(process, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + START_DEADLINE_MS;
    while (!(await zipkin.healthy())) {
      if (process.exitCode !== null) throw new Error(`zipkin exited with ${process.exitCode}: ${await new Response(process.stderr).text()}`);
      if (Date.now() > deadline) throw new Error(`zipkin did not answer within ${START_DEADLINE_MS} ms`);
      await Bun.sleep(100);
    }
    return zipkin;
  }

  /** Where the roles send spans (OTEL_EXPORTER_ZIPKIN_ENDPOINT). */
  get spansEndpoint(): string {
    return `${this.url}/api/v2/spans`;
  }

  async trace(traceId: string): Promise<ZipkinSpan[]> {
    const response = await fetch(`${this.url}/api/v2/trace/${traceId}`);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`zipkin answered ${response.status} for trace ${traceId}`);
    return (await response.json()) as ZipkinSpan[];
  }

  async stop(): Promise<void> {
    this.process.kill("SIGTERM");
    await this.process.exited;
  }

  private async healthy(): Promise<boolean> {
    const response = await fetch(`${this.url}/health`).catch(() => undefined);
    return response?.status === 200;
  }
}

/** A port free a moment ago: one the kernel just gave a listener. */
async function freePort(): Promise<number> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = server.port!;
  await server.stop(true);
  return port;
}
