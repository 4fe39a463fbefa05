/** A readiness check: undefined when it passes, otherwise what is missing, in words for an operator. */
export type Check = () => string | undefined;

export interface HealthReport {
  ready: boolean;
  /** Each check by name, true when it passes. */
  checks: Record<string, boolean>;
  /** What each failing check says is missing: "broker unreachable for 12 s: Connect to ... refused". */
  missing: string[];
}

/** The named readiness checks of a process; /readyz is 200 only when all pass. */
export class Health {
  private readonly checks = new Map<string, Check>();

  add(name: string, check: Check): void {
    if (this.checks.has(name)) throw new Error(`readiness check ${name} is already registered`);
    this.checks.set(name, check);
  }

  report(): HealthReport {
    const checks: Record<string, boolean> = {};
    const missing: string[] = [];
    for (const [name, check] of this.checks) {
      const problem = check();
      checks[name] = problem === undefined;
      if (problem !== undefined) missing.push(problem);
    }
    return { ready: missing.length === 0, checks, missing };
  }
}
