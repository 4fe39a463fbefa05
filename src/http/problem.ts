import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Problem {
  /** Where the problem is: a JSON path into the body (`title`), or a header name. Empty for the whole body. */
  path: string;
  message: string;
}

/** Every error answer has this JSON shape, so a client can show each problem next to its field. */
export function problemResponse(c: Context, status: ContentfulStatusCode, error: string, problems: readonly Problem[] = []) {
  return c.json({ error, problems }, status);
}
