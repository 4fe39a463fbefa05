/** What the audit agent's thread and its index worker (index-worker.ts) say to each other. */
export type ToIndexWorker =
  | { kind: "start"; dir: string }
  /** Index up to these sizes (file name → bytes fsynced). */
  | { kind: "follow"; durable: Array<[string, number]> }
  | { kind: "close" };

export type FromIndexWorker =
  /** The worker listens: sent once its modules have loaded. */
  | { kind: "ready" }
  | { kind: "log"; level: "info" | "warn"; msg: string; fields: Record<string, string | number> }
  | { kind: "closed" };
