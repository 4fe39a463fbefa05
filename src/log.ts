import pino from "pino";

export type Logger = pino.Logger;

/**
 * JSON lines on stderr, one logger per process; children carry the role and, where an event is
 * involved, its correlation_id and event_id. Synchronous writes: a log line must not outlive a crash.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      name: options.name,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** For library code and tests that were given no logger. */
export const silentLogger: Logger = pino({ level: "silent" });
