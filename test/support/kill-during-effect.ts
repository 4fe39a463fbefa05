import type { AgentProcess } from "./agent-process.ts";

/**
 * For a sink's hook (SMTP, webhook): on the `nth` effect it is called for, SIGKILLs `victim` and throws, so
 * the sink refuses that effect: the agent dies with it on the wire, and for the far side it never happened.
 * This puts the crash where no agent can tell whether its effect happened, without hitting the window
 * after the far side accepted it, which no agent can close.
 */
export function killDuringEffect(victim: () => AgentProcess, nth: number): { effect(): void; died: Promise<void> } {
  let seen = 0;
  let killed = false;
  const died = Promise.withResolvers<void>();
  return {
    died: died.promise,
    effect(): void {
      if (killed || ++seen < nth) return;
      killed = true;
      victim().process.kill("SIGKILL");
      void victim().process.exited.then(() => died.resolve());
      throw new Error("server going away");
    },
  };
}
