import { afterEach, describe, expect, test } from "bun:test";
import { createServer, type AddressInfo } from "node:net";
import { PermanentError } from "../../src/transport/types.ts";
import { startTestSmtpServer, type Rejection } from "./test-smtp-server.ts";
import { deliveryOf, emailSettings, smtpOn, startAgent, taskCreated } from "./test-support.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function agentAgainst(reject: (attempt: number) => Rejection | undefined) {
  const server = await startTestSmtpServer({ reject });
  cleanups.push(() => server.close());
  const started = startAgent(emailSettings({ smtp: smtpOn(server.port) }), { maxRetries: 3 });
  cleanups.push(() => started.agent.close());
  return { server, ...started };
}

/** A loopback port with nothing listening: bound, read, released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("email agent, when the mail server refuses", () => {
  test("a 550 fails the event for good at once: no retry, no notification.sent", async () => {
    const { agent, server, publisher, waits } = await agentAgainst(() => ({ code: 550, message: "Mailbox unavailable" }));
    const delivery = deliveryOf(taskCreated());

    const failures = await agent.handle([delivery]);

    expect(failures).toHaveLength(1);
    expect(failures[0]!.delivery).toBe(delivery);
    expect(failures[0]!.error).toBeInstanceOf(PermanentError);
    expect((failures[0]!.error as Error).message).toContain("550");
    expect(server.attempts).toBe(1);
    expect(waits).toEqual([]);
    expect(server.received).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  test("a 451 is retried with backoff and the email then goes out once", async () => {
    const { agent, server, publisher, waits } = await agentAgainst((attempt) =>
      attempt === 1 ? { code: 451, message: "Try again later" } : undefined,
    );

    expect(await agent.handle([deliveryOf(taskCreated())])).toEqual([]);

    expect(server.attempts).toBe(2);
    expect(waits).toHaveLength(1);
    expect(server.received).toHaveLength(1);
    expect(publisher.published).toHaveLength(1);
  });

  test("a refused connection is retried, then returned as a failure that is not permanent", async () => {
    const { agent, publisher, waits } = startAgent(emailSettings({ smtp: smtpOn(await closedPort()) }), { maxRetries: 2 });
    cleanups.push(() => agent.close());

    const failures = await agent.handle([deliveryOf(taskCreated())]);

    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).not.toBeInstanceOf(PermanentError);
    expect(waits).toHaveLength(2);
    expect(publisher.published).toEqual([]);
  });
});
