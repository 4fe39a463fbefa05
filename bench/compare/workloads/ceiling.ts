/** Workload 5: librdkafka's own rdkafka_performance producing the same events to the same broker. */
import { eventToJson } from "../../../src/events/index.ts";
import { sampleTaskCreated } from "../../support/sample-events.ts";

export async function rdkafkaPerformanceProduce(bin: string, bootstrap: string, topic: string, count: number): Promise<number> {
  const payload = eventToJson(sampleTaskCreated(0));
  const proc = Bun.spawn(
    [
      bin, "-P", "-t", topic, "-b", bootstrap, "-c", String(count), "-m", payload, "-s", String(Buffer.byteLength(payload)),
      "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=5", "-q",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const rates = [...(out + err).matchAll(/(\d+) msgs\/s/g)].map((m) => Number(m[1]));
  if (proc.exitCode !== 0 || rates.length === 0) throw new Error(`rdkafka_performance failed:\n${out}\n${err}`);
  return rates.at(-1)!;
}
