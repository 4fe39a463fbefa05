/**
 * Real Apache Kafka brokers for tests, started from the jars that
 * scripts/fetch-kafka.sh puts into .cache/kafka/<version>/libs (version pinned
 * in test/kafka/pom.xml). KRaft only: every node is a combined
 * broker+controller listening on 127.0.0.1 (PLAINTEXT for clients, a separate
 * CONTROLLER listener for the quorum). With `saslSsl`, clients get a SASL_SSL
 * listener (SCRAM-SHA-512, certificates from tls-material.ts) instead, and
 * PLAINTEXT stays for inter-broker traffic and test setup. All state lives in
 * a fresh temp dir that stop() removes.
 *
 * Every port is taken from below the kernel's ephemeral range: a client that
 * keeps reconnecting to a killed broker's port inside that range can be given
 * that very port as its own source port and connect to itself (TCP
 * simultaneous open), and the restarted broker then fails with "Unable to
 * start acceptor".
 *
 * Orphan safety (the JVMs must not outlive the test process, even if that
 * process is SIGKILLed):
 *  - Each JVM is started by a small bash wrapper (WRAPPER below) whose stdin
 *    is a pipe from this process. Nothing is ever written to it; the wrapper
 *    forks a watchdog that blocks reading it. The kernel closes the write end
 *    when this process dies, however it dies, so the read sees EOF and the
 *    watchdog SIGKILLs the JVM at once (no polling, no pid guessing: the JVM
 *    is the wrapper's own child and is not reaped before that).
 *  - A per-cluster janitor, built the same way, removes the data dir after
 *    such a death.
 *  - Under `bun test` the wrapper processes are unref'd (see keepAlive), so a
 *    leaked cluster never keeps the test run alive.
 *  - process.on("exit") also SIGKILLs the JVMs synchronously. (Note: Bun
 *    1.4.5 does not run "exit" handlers at the end of `bun test`; there the
 *    global afterAll in test/preload.ts and the watchdogs do the work.)
 */
import type { Subprocess } from "bun";
import { randomBytes, randomInt } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTlsMaterial, type TlsMaterial } from "./tls-material.ts";

export interface KafkaNode {
  id: number;
  /** Where clients connect: the PLAINTEXT listener, or the SASL_SSL one with `saslSsl`. */
  port: number;
  /** The PLAINTEXT listener (inter-broker traffic); the same as `port` without `saslSsl`. */
  plaintextPort: number;
  controllerPort: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  readonly running: boolean;
  /** SIGSTOP: open connections, no answers. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

export interface KafkaCluster {
  /** The clients' listeners: PLAINTEXT, or SASL_SSL with `saslSsl`. */
  bootstrap: string;
  /** Unauthenticated PLAINTEXT listeners, e.g. for creating topics beside a SASL_SSL bootstrap. */
  plaintextBootstrap: string;
  /** PEM CA certificate that signed the brokers' certificates (clients' ssl.ca.location); only with `saslSsl`. */
  caLocation: string | undefined;
  nodes: KafkaNode[];
  stop(): Promise<void>;
  dataDir: string;
}

export interface SaslSslKafkaCluster extends KafkaCluster {
  caLocation: string;
  tls: TlsMaterial;
}

export interface ScramUser {
  username: string;
  password: string;
}

export interface SaslSslOptions {
  /** SCRAM-SHA-512 credentials the brokers accept, created when the storage is formatted. */
  users: ScramUser[];
}

export interface StartKafkaClusterOptions {
  nodes?: 1 | 3;
  /** Extra/overriding server.properties entries, applied to every node. */
  brokerConfig?: Record<string, string>;
  /**
   * JVM options for the brokers, replacing the defaults (see defaultJvmOpts).
   * The env var KAFKA_TEST_JVM_OPTS (space separated) does the same when this
   * is not given. Use it for throughput benchmarks, since the defaults trade
   * peak speed for a faster start.
   */
  jvmOpts?: string[];
  /** Per start() (and for the whole cluster start). Default 90 s. */
  startTimeoutMs?: number;
  /**
   * Whether running brokers keep the Bun process alive. Default: false under
   * `bun test` (NODE_ENV=test), so that a cluster a test forgot to stop (or
   * the preload's broker after `--bail` skipped afterAll) cannot make the run
   * hang; the watchdogs then kill the JVMs as the process exits. True
   * otherwise, so a script can simply start a cluster and keep serving.
   */
  keepAlive?: boolean;
  /**
   * Gives clients a SASL_SSL listener (SCRAM-SHA-512 with these users, a
   * certificate for 127.0.0.1 and localhost signed by a CA made for this
   * cluster) as `bootstrap`; PLAINTEXT stays on `plaintextBootstrap`.
   */
  saslSsl?: SaslSslOptions;
}

const ROOT = resolve(import.meta.dir, "../..");
const FETCH_SCRIPT = join(ROOT, "scripts/fetch-kafka.sh");
const LOG4J_CONFIG = join(import.meta.dir, "log4j2.properties");
const HOST = "127.0.0.1";
const READY_LINE = "Kafka Server started";
const DEFAULT_START_TIMEOUT_MS = 90_000;
const LOG_TAIL_LINES = 40;

/**
 * Default broker JVM options: small heap, serial GC (kind to 2 cores) and
 * C1-only JIT, which starts ~1.5 s faster but is slower under load, so
 * benchmarks should pass their own jvmOpts.
 */
export function defaultJvmOpts(nodes: 1 | 3): string[] {
  const heap = nodes === 1 ? ["-Xms256m", "-Xmx512m"] : ["-Xms128m", "-Xmx384m"];
  return [...heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"];
}

/** For the short-lived StorageTool runs. */
const TOOL_JVM_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"];

/** Bootstrap servers of the broker the test run uses (set by test/preload.ts). */
export function testBootstrap(): string {
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (!bootstrap) {
    throw new Error(
      "KAFKA_BOOTSTRAP_SERVERS is not set. Run tests with `bun test` (test/preload.ts then starts a " +
        "local Kafka broker), or set KAFKA_BOOTSTRAP_SERVERS to an existing broker's host:port.",
    );
  }
  return bootstrap;
}

let libsDirCache: string | undefined;

/**
 * Directory holding the Kafka broker jars, fetching them with
 * scripts/fetch-kafka.sh (Maven) when the cache is missing. The script is
 * instant on a cache hit. KAFKA_LIBS_DIR overrides it.
 */
export function kafkaLibsDir(): string {
  if (libsDirCache) return libsDirCache;
  const override = process.env.KAFKA_LIBS_DIR;
  if (override) {
    libsDirCache = override;
    return override;
  }
  const result = Bun.spawnSync(["bash", FETCH_SCRIPT], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = result.stdout.toString().trim();
  if (!result.success || !out || !existsSync(out)) {
    throw new Error(`scripts/fetch-kafka.sh failed (exit ${result.exitCode}); see its output above`);
  }
  libsDirCache = out;
  return out;
}

function javaBin(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, "bin", "java") : "java";
}

/** A Kafka Uuid string: 16 random bytes, base64url without padding. */
function kafkaUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString("base64url");
    if (!s.startsWith("-")) return s;
  }
}

const EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";
/** Linux's default start of the ephemeral range, for when the file cannot be read. */
const DEFAULT_EPHEMERAL_RANGE_START = 32768;
/** Above the usual fixed service ports (and far above the privileged ones). */
export const LOWEST_TEST_PORT = 10_000;
/** Candidates may be taken by other processes or by earlier clusters; only a nearly full range runs out. */
const MAX_PORT_PROBES_PER_PORT = 200;

/** First port the kernel may pick as a connection's source port. */
export function ephemeralPortRangeStart(): number {
  try {
    const start = Number.parseInt(readFileSync(EPHEMERAL_RANGE_FILE, "utf8").trim().split(/\s+/)[0] ?? "", 10);
    return Number.isInteger(start) && start > 0 ? start : DEFAULT_EPHEMERAL_RANGE_START;
  } catch {
    return DEFAULT_EPHEMERAL_RANGE_START;
  }
}

/**
 * Ports handed out by this process. A port is never handed out twice: a
 * killed node's port must stay its own until it restarts, and the bind probe
 * cannot see that reservation while the node is down.
 */
const handedOutPorts = new Set<number>();

/** A server bound to 127.0.0.1:port, or null when the port is taken. */
function tryBind(port: number): Promise<Server | null> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once("error", () => ok(null));
    srv.listen(port, HOST, () => ok(srv));
  });
}

/**
 * Distinct ports in [LOWEST_TEST_PORT, ephemeral range start) that are free
 * on 127.0.0.1 now. Each is held bound until all are found, so one call
 * cannot return the same port twice.
 */
async function freePorts(count: number): Promise<number[]> {
  const end = ephemeralPortRangeStart();
  if (end - LOWEST_TEST_PORT < 100) {
    throw new Error(
      `the ephemeral port range starts at ${end} (${EPHEMERAL_RANGE_FILE}): test brokers need free ports ` +
        `between ${LOWEST_TEST_PORT} and it`,
    );
  }
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let probes = 0; ports.length < count; probes++) {
      if (probes >= count * MAX_PORT_PROBES_PER_PORT) {
        throw new Error(`found only ${ports.length} of ${count} free ports in [${LOWEST_TEST_PORT}, ${end})`);
      }
      const port = randomInt(LOWEST_TEST_PORT, end);
      if (handedOutPorts.has(port)) continue;
      const srv = await tryBind(port);
      if (!srv) continue;
      held.push(srv);
      ports.push(port);
      handedOutPorts.add(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((srv) => new Promise<void>((ok) => srv.close(() => ok()))));
  }
}

/** One TCP connect attempt to 127.0.0.1:port. */
export function canConnect(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((ok) => {
    const sock = connect({ host, port });
    const done = (result: boolean) => {
      sock.removeAllListeners();
      sock.destroy();
      ok(result);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

function tailLines(path: string, lines: number): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.split("\n").filter((l) => l !== "").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = statSync(path).size;
    if (size <= offset) return "";
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/**
 * bash wrapper around the JVM: "$1" is the console log, the rest the java
 * command. Prints the JVM pid as its only stdout line. The watchdog reads the
 * inherited pipe on fd 3 (our stdin) until EOF, which happens only when the
 * test process is gone; then it SIGKILLs the JVM. It ignores INT/TERM/HUP,
 * which reach the whole process group on Ctrl-C or `timeout`. TERM/INT/HUP to
 * the wrapper are forwarded to the JVM. Exits with the JVM's status.
 */
const WRAPPER = `
log="$1"; shift
"$@" </dev/null >>"$log" 2>&1 &
jpid=$!
exec 3<&0
( trap '' INT TERM HUP; while read -r -u 3 _; do :; done; kill -KILL "$jpid" 2>/dev/null ) >/dev/null &
wd=$!
exec 3<&- </dev/null
echo "$jpid"
exec >/dev/null
trap 'kill -TERM "$jpid" 2>/dev/null' TERM INT HUP
while :; do
  wait "$jpid"; rc=$?
  kill -0 "$jpid" 2>/dev/null || break
done
kill -KILL "$wd" 2>/dev/null
exit "$rc"
`;

/**
 * Removes "$1" once our stdin pipe hits EOF (the test process died without
 * stop()). Ignores INT/TERM/HUP: those reach it along with the rest of the
 * process group (Ctrl-C, `timeout`), and it must outlive the test process.
 * stop() ends it with SIGKILL.
 */
const JANITOR = `
trap '' INT TERM HUP
while read -r _; do :; done
for _ in $(seq 60); do
  rm -rf -- "$1" 2>/dev/null
  [ -e "$1" ] || exit 0
  sleep 1
done
`;

type WrapperProc = Subprocess<"pipe", "pipe", "ignore">;

/** Every node with a live JVM, for the synchronous exit handler. */
const liveNodes = new Set<Node>();
const liveClusters = new Set<Cluster>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const node of liveNodes) node.killSync();
    for (const cluster of liveClusters) cluster.removeDataDirSync();
  });
}

async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      text += decoder.decode(value, { stream: true });
      const nl = text.indexOf("\n");
      if (nl >= 0) return text.slice(0, nl);
    }
  } finally {
    reader.releaseLock();
  }
}

class Node implements KafkaNode {
  readonly dir: string;
  readonly propsPath: string;
  readonly logPath: string;
  readonly consoleLogPath: string;
  private proc: WrapperProc | null = null;
  private javaPid: number | null = null;
  private exited = true;
  private starting: Promise<void> | null = null;

  constructor(
    readonly id: number,
    readonly port: number,
    readonly plaintextPort: number,
    readonly controllerPort: number,
    clusterDir: string,
    private readonly libsDir: string,
    private readonly jvmOpts: string[],
    private readonly startTimeoutMs: number,
    private readonly keepAlive: boolean,
  ) {
    this.dir = join(clusterDir, `node-${id}`);
    this.propsPath = join(this.dir, "server.properties");
    this.logPath = join(this.dir, "server.log");
    this.consoleLogPath = join(this.dir, "console.log");
  }

  get running(): boolean {
    return this.proc !== null && !this.exited;
  }

  javaArgs(mainClass: string, args: string[], jvmOpts: string[]): string[] {
    return [
      javaBin(),
      ...jvmOpts,
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
      `-Dkafka.logs.dir=${this.dir}`,
      "-cp",
      join(this.libsDir, "*"),
      mainClass,
      ...args,
    ];
  }

  async format(clusterId: string, formatArgs: string[]): Promise<void> {
    const cmd = this.javaArgs(
      "kafka.tools.StorageTool",
      ["format", "-t", clusterId, "-c", this.propsPath, ...formatArgs],
      TOOL_JVM_OPTS,
    );
    const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) {
      throw new Error(
        `Kafka storage format failed for node ${this.id} (exit ${code}):\n${out}${err}\n` +
          `--- last lines of ${this.logPath} ---\n${tailLines(this.logPath, LOG_TAIL_LINES)}`,
      );
    }
  }

  start(): Promise<void> {
    if (this.running && !this.starting) return Promise.resolve();
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    installExitHandler();
    const deadline = Date.now() + this.startTimeoutMs;
    const logOffset = fileSize(this.logPath);
    const consoleOffset = fileSize(this.consoleLogPath);
    const proc: WrapperProc = Bun.spawn(
      ["bash", "-c", WRAPPER, "kafka-node", this.consoleLogPath, ...this.javaArgs("kafka.Kafka", [this.propsPath], this.jvmOpts)],
      { stdin: "pipe", stdout: "pipe", stderr: "ignore" },
    );
    this.proc = proc;
    this.exited = false;
    liveNodes.add(this);
    void proc.exited.then(() => {
      if (this.proc === proc) {
        this.exited = true;
        this.javaPid = null;
        liveNodes.delete(this);
      }
    });

    const pidLine = await readFirstLine(proc.stdout);
    const pid = pidLine === null ? NaN : Number.parseInt(pidLine, 10);
    if (!Number.isInteger(pid) || pid <= 0) {
      await this.kill("SIGKILL");
      throw this.startError(`could not launch the JVM wrapper (got ${JSON.stringify(pidLine)})`, consoleOffset);
    }
    this.javaPid = pid;

    try {
      await this.waitReady(proc, logOffset, consoleOffset, deadline);
    } catch (e) {
      await this.kill("SIGKILL");
      throw e;
    }
    if (!this.keepAlive) proc.unref();
  }

  private startError(reason: string, consoleOffset: number): Error {
    const consoleOut = readFrom(this.consoleLogPath, consoleOffset).trim();
    return new Error(
      `Kafka node ${this.id} (client port ${this.port}${this.plaintextPort === this.port ? "" : `, plaintext port ${this.plaintextPort}`}, ` +
        `controller port ${this.controllerPort}) ${reason}\n` +
        (consoleOut ? `--- JVM console output ---\n${consoleOut.split("\n").slice(-LOG_TAIL_LINES).join("\n")}\n` : "") +
        `--- last ${LOG_TAIL_LINES} lines of ${this.logPath} ---\n${tailLines(this.logPath, LOG_TAIL_LINES)}`,
    );
  }

  /** Waits for the "Kafka Server started" log line (written after this start), then a TCP connect. */
  private async waitReady(proc: WrapperProc, logOffset: number, consoleOffset: number, deadline: number): Promise<void> {
    let wake: () => void = () => {};
    const watcher = watch(this.dir, () => wake());
    const state: { exitCode: number | null } = { exitCode: null };
    void proc.exited.then((code) => {
      state.exitCode = code;
      wake();
    });
    try {
      let scanned = logOffset;
      let carry = "";
      for (;;) {
        const chunk = readFrom(this.logPath, scanned);
        if (chunk) {
          scanned += Buffer.byteLength(chunk);
          const text = carry + chunk;
          if (text.includes(READY_LINE)) break;
          carry = text.slice(-READY_LINE.length);
        }
        if (state.exitCode !== null) {
          throw this.startError(`exited with status ${state.exitCode} before it was ready`, consoleOffset);
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw this.startError(
            `was not ready within ${Math.round(this.startTimeoutMs / 1000)} s (no "${READY_LINE}" log line)`,
            consoleOffset,
          );
        }
        // Woken by a change in the node dir or the process exiting; the timer
        // is only a fallback in case a file-change event is missed.
        await new Promise<void>((ok) => {
          const t = setTimeout(ok, Math.min(left, 500));
          wake = () => {
            clearTimeout(t);
            ok();
          };
        });
      }
    } finally {
      watcher.close();
    }
    while (!(await canConnect(this.port))) {
      if (state.exitCode !== null) {
        throw this.startError(`exited with status ${state.exitCode} before it was ready`, consoleOffset);
      }
      if (Date.now() >= deadline) {
        throw this.startError(`logged "${READY_LINE}" but port ${this.port} does not accept connections`, consoleOffset);
      }
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exited) return;
    const pid = this.javaPid;
    if (pid !== null) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    } else {
      proc.kill(signal);
    }
    await proc.exited;
  }

  /**
   * Stops the JVM in its tracks (SIGSTOP): its connections stay open and nothing is answered, as with a broker
   * hung on a long GC pause or a dead disk. `thaw` lets it go on.
   */
  freeze(): void {
    if (this.javaPid !== null) process.kill(this.javaPid, "SIGSTOP");
  }

  thaw(): void {
    if (this.javaPid !== null) process.kill(this.javaPid, "SIGCONT");
  }

  /** For the process exit handler: no awaiting possible there. */
  killSync(): void {
    for (const pid of [this.javaPid, this.proc?.pid]) {
      if (pid == null) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}

class Cluster implements KafkaCluster {
  readonly bootstrap: string;
  readonly plaintextBootstrap: string;
  private stopped = false;

  constructor(
    readonly dataDir: string,
    readonly nodes: Node[],
    private readonly janitor: Subprocess<"pipe", "ignore", "ignore">,
    readonly tls: TlsMaterial | undefined,
  ) {
    this.bootstrap = nodes.map((n) => `${HOST}:${n.port}`).join(",");
    this.plaintextBootstrap = nodes.map((n) => `${HOST}:${n.plaintextPort}`).join(",");
    liveClusters.add(this);
  }

  get caLocation(): string | undefined {
    return this.tls?.caCertPath;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The data is thrown away, so there is no point in a graceful shutdown.
    await Promise.all(this.nodes.map((n) => n.kill("SIGKILL")));
    this.janitor.kill("SIGKILL");
    await this.janitor.exited;
    this.removeDataDirSync();
    liveClusters.delete(this);
  }

  removeDataDirSync(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function propsText(props: Record<string, string>): string {
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n") + "\n";
}

const SCRAM_MECHANISM = "SCRAM-SHA-512";
// The StorageTool's --add-scram syntax has no escaping for these.
const SCRAM_UNSAFE_CHARACTERS = /[\s,[\]"=]/;

/** One --add-scram per user: the credentials go into the bootstrap metadata, so no running broker is needed. */
function scramFormatArgs(users: readonly ScramUser[]): string[] {
  return users.flatMap(({ username, password }) => {
    if (!username || !password || SCRAM_UNSAFE_CHARACTERS.test(username + password)) {
      throw new Error(
        `SCRAM user ${JSON.stringify(username)}: user names and passwords must be non-empty, ` +
          "without whitespace, commas, brackets, quotes or '='",
      );
    }
    return ["--add-scram", `${SCRAM_MECHANISM}=[name=${username},password=${password}]`];
  });
}

function listenerConfig(node: Node, saslSsl: boolean): Record<string, string> {
  const controller = `CONTROLLER://${HOST}:${node.controllerPort}`;
  const plaintext = `PLAINTEXT://${HOST}:${node.plaintextPort}`;
  if (!saslSsl) return { listeners: `${plaintext},${controller}`, "advertised.listeners": plaintext };
  const sasl = `SASL_SSL://${HOST}:${node.port}`;
  return { listeners: `${sasl},${plaintext},${controller}`, "advertised.listeners": `${sasl},${plaintext}` };
}

/** Settings of the SASL_SSL listener, the same on every node. */
function saslSslConfig(tls: TlsMaterial): Record<string, string> {
  const listener = "listener.name.sasl_ssl";
  return {
    "listener.security.protocol.map": "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "sasl.enabled.mechanisms": SCRAM_MECHANISM,
    [`${listener}.scram-sha-512.sasl.jaas.config`]: "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    [`${listener}.ssl.keystore.type`]: tls.storeType,
    [`${listener}.ssl.keystore.location`]: tls.keystorePath,
    [`${listener}.ssl.keystore.password`]: tls.storePassword,
    [`${listener}.ssl.key.password`]: tls.storePassword,
    [`${listener}.ssl.truststore.type`]: tls.storeType,
    [`${listener}.ssl.truststore.location`]: tls.truststorePath,
    [`${listener}.ssl.truststore.password`]: tls.storePassword,
  };
}

function replicationConfig(count: 1 | 3): Record<string, string> {
  return count === 1
    ? {
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
      }
    : {
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "offsets.topic.replication.factor": "3",
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
        "share.coordinator.state.topic.replication.factor": "3",
        "share.coordinator.state.topic.min.isr": "2",
      };
}

/**
 * Another process can bind a port between our probe and the broker's bind;
 * a fresh set of ports then almost surely works.
 */
const START_ATTEMPTS = 3;

function isPortClash(error: unknown): boolean {
  return error instanceof Error && /Address already in use/.test(error.message);
}

/**
 * Starts a KRaft cluster of 1 or 3 combined broker+controller nodes on
 * 127.0.0.1 and resolves once every node logged "Kafka Server started" and
 * accepts TCP connections on its client port.
 */
/**
 * Broker settings for tests that kill group members: Kafka 4's group protocol lets the broker decide when a
 * member that stopped heartbeating is gone (45 s by default); 6 s keeps such tests short.
 */
export const QUICK_GROUP_SESSIONS: Readonly<Record<string, string>> = {
  "group.consumer.session.timeout.ms": "6000",
  "group.consumer.min.session.timeout.ms": "6000",
  "group.consumer.heartbeat.interval.ms": "1000",
  "group.consumer.min.heartbeat.interval.ms": "1000",
};

export function startKafkaCluster(opts: StartKafkaClusterOptions & { saslSsl: SaslSslOptions }): Promise<SaslSslKafkaCluster>;
export function startKafkaCluster(opts?: StartKafkaClusterOptions): Promise<KafkaCluster>;
export async function startKafkaCluster(opts: StartKafkaClusterOptions = {}): Promise<KafkaCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(opts);
    } catch (e) {
      if (attempt >= START_ATTEMPTS || !isPortClash(e)) throw e;
    }
  }
}

async function startClusterOnce(opts: StartKafkaClusterOptions): Promise<Cluster> {
  const count = opts.nodes ?? 1;
  const startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const envJvmOpts = process.env.KAFKA_TEST_JVM_OPTS?.trim();
  const jvmOpts = opts.jvmOpts ?? (envJvmOpts ? envJvmOpts.split(/\s+/) : defaultJvmOpts(count));
  const keepAlive = opts.keepAlive ?? process.env.NODE_ENV !== "test";
  const saslSsl = opts.saslSsl !== undefined;
  const formatScramArgs = opts.saslSsl ? scramFormatArgs(opts.saslSsl.users) : [];
  const libsDir = kafkaLibsDir();

  const dataDir = mkdtempSync(join(tmpdir(), "kafka-test-"));
  const janitor = Bun.spawn(["bash", "-c", JANITOR, "kafka-janitor", dataDir], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "ignore",
  });
  janitor.unref();
  let cluster: Cluster | undefined;
  try {
    const portsPerNode = saslSsl ? 3 : 2;
    const [ports, tls] = await Promise.all([
      freePorts(count * portsPerNode),
      saslSsl ? createTlsMaterial(join(dataDir, "tls")) : Promise.resolve(undefined),
    ]);
    const nodes = Array.from({ length: count }, (_, i) => {
      const [port, controllerPort, plaintextPort] = ports.slice(i * portsPerNode, (i + 1) * portsPerNode);
      if (port === undefined || controllerPort === undefined) throw new Error("not enough free ports");
      return new Node(i + 1, port, plaintextPort ?? port, controllerPort, dataDir, libsDir, jvmOpts, startTimeoutMs, keepAlive);
    });
    cluster = new Cluster(dataDir, nodes, janitor, tls);

    const common: Record<string, string> = {
      "process.roles": "broker,controller",
      "controller.listener.names": "CONTROLLER",
      "inter.broker.listener.name": "PLAINTEXT",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "controller.quorum.bootstrap.servers": nodes.map((n) => `${HOST}:${n.controllerPort}`).join(","),
      "group.initial.rebalance.delay.ms": "0",
      "auto.create.topics.enable": "false",
      "num.partitions": "1",
      // A broker restarted after kill -9 cannot register again until its old
      // session expires (default 9 s); keep that wait short for tests.
      "broker.heartbeat.interval.ms": "1000",
      "broker.session.timeout.ms": "4000",
      ...replicationConfig(count),
      ...(tls ? saslSslConfig(tls) : {}),
    };

    const clusterId = kafkaUuid();
    const dirIds = nodes.map(() => kafkaUuid());
    const initialControllers = nodes.map((n, i) => `${n.id}@${HOST}:${n.controllerPort}:${dirIds[i]}`).join(",");

    for (const node of nodes) {
      mkdirSync(node.dir, { recursive: true });
      writeFileSync(
        node.propsPath,
        propsText({
          ...common,
          "node.id": String(node.id),
          ...listenerConfig(node, saslSsl),
          "log.dirs": join(node.dir, "data"),
          ...opts.brokerConfig,
        }),
      );
    }

    const quorumArgs = count === 1 ? ["--standalone"] : ["--initial-controllers", initialControllers];
    await Promise.all(nodes.map((n) => n.format(clusterId, [...quorumArgs, ...formatScramArgs])));
    // All voters must run for the quorum to form, so start them together.
    const results = await Promise.allSettled(nodes.map((n) => n.start()));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      const first = failures[0];
      throw first instanceof Error ? first : new Error(String(first));
    }
    return cluster;
  } catch (e) {
    if (cluster) {
      await cluster.stop();
    } else {
      janitor.kill("SIGKILL");
      await janitor.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
    throw e;
  }
}
