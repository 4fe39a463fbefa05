import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../log.ts";
import { startAuditRole } from "./audit.ts";
import type { RoleContext, RoleInstance } from "./role.ts";

let started: RoleInstance | undefined;

afterEach(async () => {
  for (const agent of started?.agents ?? []) await agent.close();
  await started?.close?.();
  started = undefined;
});

/** The audit role as a process starts it, with only what it reads of its context. */
function auditRole(logDir: string): RoleInstance {
  const context = { config: { audit: { logDir } }, logger: silentLogger } as unknown as RoleContext;
  started = startAuditRole(context);
  return started;
}

describe("the audit role's trace pages before the first audit line", () => {
  test("/trace says nothing is audited yet rather than failing, and does not create the log directory", async () => {
    const logDir = join(mkdtempSync(join(tmpdir(), "audit-role-")), "audit");
    const response = await auditRole(logDir).routes!.request("/trace");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("No events audited yet.");
    expect(existsSync(logDir)).toBe(false);
  });

  test("/trace/{id} answers 404 for any id", async () => {
    const logDir = join(mkdtempSync(join(tmpdir(), "audit-role-")), "audit");
    const response = await auditRole(logDir).routes!.request("/trace/req-1");
    expect(response.status).toBe(404);
  });
});
