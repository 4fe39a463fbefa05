import { describe, expect, test } from "bun:test";
import { agentConsumerProperties, apiProducerProperties } from "./client-defaults.ts";

describe("client defaults", () => {
  test("the api's producer lingers 1 ms and gives up at the answer deadline", () => {
    expect(apiProducerProperties({ "bootstrap.servers": "k:9092" }, 5000)).toEqual({
      "bootstrap.servers": "k:9092",
      "linger.ms": "1",
      "message.timeout.ms": "5000",
    });
  });

  test("KAFKA_* settings override the api's linger but not its deadline", () => {
    const properties = apiProducerProperties({ "linger.ms": "20", "message.timeout.ms": "60000" }, 5000);
    expect([properties["linger.ms"], properties["message.timeout.ms"]]).toEqual(["20", "5000"]);
  });

  test("the agents' consumers prefetch at most 16 MiB per partition unless told otherwise", () => {
    expect(agentConsumerProperties({}, false)["queued.max.messages.kbytes"]).toBe("16384");
    expect(agentConsumerProperties({ "queued.max.messages.kbytes": "65536" }, false)["queued.max.messages.kbytes"]).toBe("65536");
  });

  test("against the embedded broker, consumers wait at most 50 ms per fetch unless told otherwise", () => {
    expect(agentConsumerProperties({}, true)["fetch.wait.max.ms"]).toBe("50");
    expect(agentConsumerProperties({}, false)["fetch.wait.max.ms"]).toBeUndefined();
    expect(agentConsumerProperties({ "fetch.wait.max.ms": "500" }, true)["fetch.wait.max.ms"]).toBe("500");
  });

  test("a consumer that may trail waits for larger fetches, on either broker", () => {
    for (const embedded of [false, true]) {
      const properties = agentConsumerProperties({}, embedded, { fetchWaitMs: 100 });
      expect([properties["fetch.wait.max.ms"], properties["fetch.min.bytes"]]).toEqual(["100", "262144"]);
    }
  });

  test("the agents' consumers use Kafka 4's group protocol unless told otherwise or given a classic-only setting", () => {
    expect(agentConsumerProperties({}, false)["group.protocol"]).toBe("consumer");
    expect(agentConsumerProperties({ "group.protocol": "classic" }, false)["group.protocol"]).toBe("classic");
    expect(agentConsumerProperties({ "session.timeout.ms": "6000" }, false)["group.protocol"]).toBeUndefined();
    expect(agentConsumerProperties({ "heartbeat.interval.ms": "1000" }, true)["group.protocol"]).toBeUndefined();
  });
});
