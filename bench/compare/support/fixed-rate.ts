/**
 * An open-loop load generator for POST /tasks: requests go out on a fixed schedule whatever the answers,
 * so a slow answer does not hide the queueing it causes (wrk cannot hold a fixed rate). Each request
 * carries X-Correlation-ID `${prefix}${i}`, and its send time is recorded for matching with the audit log.
 */
export interface FixedRateResult {
  /** Wall-clock send time (ms since the epoch) by correlation id. */
  sentAt: Map<string, number>;
  /** Response latencies of the 2xx answers, ms. */
  latenciesMs: number[];
  failures: number;
  achievedPerSecond: number;
}

const TICK_MS = 5;

export async function runFixedRate(baseUrl: string, perSecond: number, seconds: number, prefix: string): Promise<FixedRateResult> {
  const total = perSecond * seconds;
  const sentAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const body = JSON.stringify({ title: "Review quarterly report", owner_id: "user-456", priority: 2 });
  const start = performance.now();
  let sent = 0;

  const send = (i: number) => {
    const correlationId = `${prefix}${i}`;
    const t0 = performance.now();
    sentAt.set(correlationId, Date.now());
    const request = fetch(`${baseUrl}/tasks`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Correlation-ID": correlationId },
      body,
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) latenciesMs.push(performance.now() - t0);
        else failures++;
      })
      .catch(() => {
        failures++;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSecond) + 1);
    while (sent < due) send(sent++);
    await Bun.sleep(TICK_MS);
  }
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  return { sentAt, latenciesMs, failures, achievedPerSecond: total / elapsed };
}
