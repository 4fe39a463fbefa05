import { randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import nodemailer, { type SendMailOptions } from "nodemailer";
import type { Mailer } from "./mailer.ts";

/** Readable by the owner's group (a mail viewer, a test), never by everyone: emails carry personal data. */
export const EML_MODE = 0o640;

/**
 * Development delivery: each email becomes `{event_id}.eml` in `dir`, the message exactly as it would go over
 * SMTP (CRLF line ends). A redone send replaces the file rather than adding one.
 */
export function outboxMailer(dir: string): Mailer {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(email) {
      // nodemailer 7 takes line ends from the message options (its stream transport's `newline` is only logged),
      // and its type definitions do not list them there.
      const mail: SendMailOptions & { newline: string } = { ...email.mail, newline: "windows" };
      const info = await transporter.sendMail(mail);
      await writeFileAtomic(join(dir, `${email.eventId}.eml`), info.message as Buffer, EML_MODE);
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * Writes through a temporary file in the same directory, synced, then renamed over `path`, and syncs the
 * directory: a reader or a crash sees the old file or the whole new one, never a part. Temporary names start
 * with a dot and end in `.tmp`, so they are easy to skip.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  const file = await open(temp, "wx", mode);
  try {
    await file.writeFile(bytes);
    await file.chmod(mode); // open's mode is narrowed by the umask
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
