import { AppError } from "../../src/errors.ts";

/** The audit log could not be read or appended to; `cause` holds the file-system error. */
export class AuditLogError extends AppError {}
