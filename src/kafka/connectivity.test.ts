import { describe, expect, test } from "bun:test";
import type { Logger } from "../log.ts";
import { Connectivity } from "./connectivity.ts";

/*
 * librdkafka's statistics (statistics.interval.ms) list every broker the client knows with its connection
 * state; the internal broker (":0/internal") is never a connection to the cluster.
 */
function statistics(state: string): string {
  return JSON.stringify({
    brokers: {
      "127.0.0.1:9092/1": { source: "learned", state },
      ":0/internal": { source: "internal", state: "INIT" },
    },
  });
}
const BROKER_UP = statistics("UP");
const BROKER_DOWN = statistics("CONNECT");
/** Only the internal broker "up": still no connection to the cluster. */
const INTERNAL_ONLY = JSON.stringify({
  brokers: { "127.0.0.1:9092/1": { source: "configured", state: "DOWN" }, ":0/internal": { source: "internal", state: "UP" } },
});

const REFUSED = "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)";
const AUTH_FAILED = "sasl_ssl://broker:9094/bootstrap: SASL authentication error: Authentication failed: Invalid username or password";

interface Line {
  level: "warn" | "info";
  fields: Record<string, unknown>;
  message: string;
}

/** A Connectivity with a clock the test moves and a logger that keeps each line. */
function connectivity() {
  const lines: Line[] = [];
  const record = (level: Line["level"]) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  const logger = { warn: record("warn"), info: record("info"), child: () => logger } as unknown as Logger;
  let now = 1_750_000_000_000;
  const client = new Connectivity(logger, () => now);
  const changes: string[] = [];
  client.onChange(() => changes.push(client.state));
  return { client, lines, changes, advance: (ms: number) => void (now += ms), now: () => now };
}

describe("broker connectivity", () => {
  test("is connecting until the statistics show a connected broker, then up", () => {
    const { client, changes, lines } = connectivity();
    expect(client.state).toBe("connecting");
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("connecting");
    client.stats(BROKER_UP);
    expect(client.state).toBe("up");
    expect(changes).toEqual(["up"]);
    // Coming up the first time is no recovery from an outage.
    expect(lines).toEqual([]);
  });

  test("stays unreachable while later statistics still show no broker, with no error reported", () => {
    const { client, changes } = connectivity();
    client.stats(BROKER_UP);
    client.stats(BROKER_DOWN);
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("unreachable");
    expect(changes).toEqual(["up", "unreachable"]);
  });

  test("does not count the internal broker as a connection", () => {
    const { client } = connectivity();
    client.failed("_TRANSPORT", REFUSED);
    client.stats(INTERNAL_ONLY);
    expect(client.state).toBe("unreachable");
  });

  test("turns unreachable from up only when the statistics show no connected broker, not on an error alone", () => {
    const { client, changes } = connectivity();
    client.stats(BROKER_UP);
    client.failed("_TRANSPORT", REFUSED);
    client.failed("_ALL_BROKERS_DOWN", "1/1 brokers are down");
    expect(client.state).toBe("up");

    client.stats(BROKER_DOWN);
    expect(client.state).toBe("unreachable");
    expect(client.snapshot().lastError).toBe(REFUSED);
    expect(changes).toEqual(["up", "unreachable"]);
  });

  test("turns unreachable from up when the statistics show the broker gone even without an error", () => {
    const { client } = connectivity();
    client.stats(BROKER_UP);
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("unreachable");
    expect(client.snapshot().lastError).toBeUndefined();
  });

  test("forgets the errors of an outage once up again: a later loss without an error does not repeat them", () => {
    const { client } = connectivity();
    client.failed("_AUTHENTICATION", AUTH_FAILED);
    client.stats(BROKER_DOWN);
    client.stats(BROKER_UP);
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("unreachable");
    expect(client.snapshot().lastError).toBeUndefined();
  });

  test("an error reported late, after the connection is back, does not mark it down", () => {
    const { client, changes } = connectivity();
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_DOWN);
    client.stats(BROKER_UP);
    // librdkafka's summary of suppressed connect failures can arrive after the broker is back.
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_UP);
    expect(client.state).toBe("up");
    expect(client.snapshot()).toEqual({ state: "up", lastError: undefined, since: undefined });
    expect(changes).toEqual(["unreachable", "up"]);
  });

  test("a refused credential is authentication-failed, and later refused connects do not hide it", () => {
    const { client } = connectivity();
    client.failed("_AUTHENTICATION", AUTH_FAILED);
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("authentication-failed");

    client.failed("_TRANSPORT", REFUSED);
    client.failed("_ALL_BROKERS_DOWN", "1/1 brokers are down");
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("authentication-failed");
    expect(client.snapshot().lastError).toBe(AUTH_FAILED);
  });

  test("after an authentication failure is cured, a later refused connect is reported as unreachable", () => {
    const { client } = connectivity();
    client.failed("_AUTHENTICATION", AUTH_FAILED);
    client.stats(BROKER_DOWN);
    client.stats(BROKER_UP);
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_DOWN);
    expect(client.state).toBe("unreachable");
    expect(client.snapshot().lastError).toBe(REFUSED);
  });

  test("'all brokers are down' does not replace the connect error that came with it", () => {
    const { client } = connectivity();
    client.failed("_TRANSPORT", REFUSED);
    client.failed("_ALL_BROKERS_DOWN", "1/1 brokers are down");
    client.stats(BROKER_DOWN);
    expect(client.snapshot().lastError).toBe(REFUSED);
  });

  test("logs an outage once when it begins, every 30 s while it lasts, and once when it ends with its duration", () => {
    const { client, lines, advance } = connectivity();
    client.stats(BROKER_UP);
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_DOWN);
    expect(lines).toEqual([{ level: "warn", fields: { outage: "broker" }, message: `broker unreachable: ${REFUSED}` }]);

    // Statistics every second and a failed connect each time: no more lines for 30 s.
    for (let i = 0; i < 29; i++) {
      advance(1_000);
      client.failed("_TRANSPORT", REFUSED);
      client.stats(BROKER_DOWN);
    }
    expect(lines).toHaveLength(1);
    advance(1_000);
    client.stats(BROKER_DOWN);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.message).toBe(`broker unreachable: ${REFUSED} (for 30 s)`);

    advance(15_000);
    client.stats(BROKER_UP);
    client.stats(BROKER_UP);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual({ level: "info", fields: { outage: "broker", outage_seconds: 45 }, message: "broker reachable again after 45 s" });
  });

  test("an authentication failure is logged as one", () => {
    const { client, lines } = connectivity();
    client.failed("_AUTHENTICATION", AUTH_FAILED);
    client.stats(BROKER_DOWN);
    expect(lines).toEqual([{ level: "warn", fields: { outage: "broker" }, message: `authentication failed: ${AUTH_FAILED}` }]);
  });

  test("the snapshot gives the last error and when the outage began while not up, and neither once up", () => {
    const { client, advance, now } = connectivity();
    client.stats(BROKER_UP);
    advance(2_000);
    const began = now();
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_DOWN);
    advance(10_000);
    client.stats(BROKER_DOWN);
    expect(client.snapshot()).toEqual({ state: "unreachable", lastError: REFUSED, since: began });

    client.stats(BROKER_UP);
    expect(client.snapshot()).toEqual({ state: "up", lastError: undefined, since: undefined });
  });

  test("calls change listeners on each change of state only, until unsubscribed", () => {
    const { client } = connectivity();
    let calls = 0;
    const unsubscribe = client.onChange(() => calls++);
    client.stats(BROKER_UP);
    client.stats(BROKER_UP);
    expect(calls).toBe(1);
    client.failed("_TRANSPORT", REFUSED);
    client.stats(BROKER_DOWN);
    client.stats(BROKER_DOWN);
    expect(calls).toBe(2);
    client.failed("_AUTHENTICATION", AUTH_FAILED);
    client.stats(BROKER_DOWN);
    expect(calls).toBe(3);
    unsubscribe();
    client.stats(BROKER_UP);
    expect(calls).toBe(3);
  });

  test("ignores statistics that are not JSON", () => {
    const { client } = connectivity();
    client.stats(BROKER_UP);
    client.stats("{ truncated");
    expect(client.state).toBe("up");
  });

  test("tells connection errors, which it reports, from errors of single requests", () => {
    for (const code of ["_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_SSL", "_AUTHENTICATION", "_TIMED_OUT"]) {
      expect(Connectivity.isConnectionError(code)).toBe(true);
    }
    for (const code of ["_MSG_TIMED_OUT", "UNKNOWN_TOPIC_OR_PART", "_QUEUE_FULL"]) {
      expect(Connectivity.isConnectionError(code)).toBe(false);
    }
  });
});
