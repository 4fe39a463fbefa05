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

/**
 * Something the work needs is away for now (a full disk, an unreachable broker). Retrying the same event
 * cannot help until it returns, and dead-lettering it would lose it: the consume loop keeps the batch
 * uncommitted and tries it again later.
 */
export class UnavailableError extends AppError {}

/** Error codes of a file system or SQLite that mean the disk cannot take the write now. */
const DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY"]);

/** A write to local state failed because of the disk; `path` names the file or directory, `code` the errno. */
export class DiskError extends UnavailableError {
  readonly path: string;
  readonly code: string;
  constructor(path: string, code: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? options.cause.message : code;
    // Node's messages start with the errno ("ENOSPC: no space left on device"); SQLite's do not.
    super(`${path}: ${detail.includes(code) ? detail : `${code}: ${detail}`}`, options);
    this.path = path;
    this.code = code;
  }

  /** The error as a DiskError when it is one the disk caused (ENOSPC, SQLITE_FULL, ...), else undefined. */
  static from(error: unknown, path: string): DiskError | undefined {
    if (error instanceof DiskError) return error;
    const code = errorCode(error);
    if (code === undefined) return undefined;
    // SQLite's extended codes (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC) share their primary code's prefix.
    const primary = code.startsWith("SQLITE_IOERR") ? "SQLITE_IOERR" : code;
    return DISK_CODES.has(primary) ? new DiskError(path, code, { cause: error }) : undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
