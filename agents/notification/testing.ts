// Shared by the email and Slack tests.
import { abortableSleep } from "../../src/transport/abortable-sleep.ts";

/** Resolves once the clock has passed the millisecond of `iso`: what a redelivery would see at the earliest. */
export async function clockPast(iso: string): Promise<void> {
  const ms = Date.parse(iso);
  while (Date.now() <= ms) await abortableSleep(1);
}
