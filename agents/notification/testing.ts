// Shared by the email and Slack tests.

/** Resolves once the clock has passed the millisecond of `iso`: what a redelivery would see at the earliest. */
export async function clockPast(iso: string): Promise<void> {
  const ms = Date.parse(iso);
  while (Date.now() <= ms) await Bun.sleep(1);
}
