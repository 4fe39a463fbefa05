import { eventually } from "./agent-process.ts";

/**
 * Resolves once the role at `url` has taken everything its group's partitions hold and finished it: every
 * partition's lag is 0 and no message is in hand. Counting effects after this sees every redelivery too,
 * whereas counting until a number is first reached stops at the first N and misses the N+1st.
 * `partitions`: how many partitions the role must have read from (after another member died, all of its
 * group's). `/metrics` is the only place the condition shows, so it is polled.
 */
export function drained(url: string, group: string, partitions = 1): Promise<true> {
  return eventually(async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const lags = [...text.matchAll(new RegExp(`^agent_events_consumer_lag\\{group="${group}",[^}]*\\} (\\d+)$`, "gm"))].map((m) => Number(m[1]));
    const inHand = new RegExp(`^agent_events_messages_in_hand\\{group="${group}"\\} (\\d+)$`, "m").exec(text);
    return lags.length >= partitions && lags.every((lag) => lag === 0) && (inHand === null || inHand[1] === "0") ? true : undefined;
  }, 200);
}
