import { UnavailableError } from "../errors.ts";
import type { BatchHandler, Delivery, Handler, HandlerFailure, Middleware } from "./types.ts";

/** Applies middleware outermost first: compose([a, b], h) runs a(b(h)). */
export function compose(middleware: readonly Middleware[], handler: Handler): Handler {
  return middleware.reduceRight((next, wrap) => wrap(next), handler);
}

/**
 * Runs a per-event handler over a batch, one event at a time so per-key order holds. Events whose type
 * is not in `types` are skipped: they are committed with the batch, which is what forward compatibility
 * asks of a consumer that does not handle them. An UnavailableError (a full disk) fails the whole batch at
 * once: the events after it would meet the same disk, and the batch is tried again as a whole.
 */
export function eachEvent(types: ReadonlySet<string>, handler: Handler, middleware: readonly Middleware[] = []): BatchHandler {
  const handle = compose(middleware, handler);
  return async (deliveries: Delivery[]) => {
    const failures: HandlerFailure[] = [];
    for (const delivery of deliveries) {
      if (!delivery.known || !types.has(delivery.event.event_type)) continue;
      try {
        await handle(delivery);
      } catch (error) {
        if (error instanceof UnavailableError) throw error;
        failures.push({ delivery, error });
      }
    }
    return failures;
  };
}
