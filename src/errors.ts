/** Base of every error the project throws on purpose; `cause` keeps the underlying failure. */
export class AppError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration that cannot work: every problem is listed, so one start-up attempt shows them all. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`, options);
    this.problems = problems;
  }
}
