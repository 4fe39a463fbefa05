import { bearerAuth } from "hono/bearer-auth";

/** Bearer-token auth whose refusals have the same JSON shape as every other error answer. */
export function tokenAuth(tokens: readonly string[]) {
  const unauthorized = {
    error: "missing or invalid bearer token",
    problems: [{ path: "Authorization", message: "send Authorization: Bearer <token>" }],
  };
  // Hono compares tokens in constant time (a hash of each side, then timingSafeEqual).
  return bearerAuth({
    token: [...tokens],
    noAuthenticationHeader: { message: unauthorized },
    invalidAuthenticationHeader: { message: unauthorized },
    invalidToken: { message: unauthorized },
  });
}
