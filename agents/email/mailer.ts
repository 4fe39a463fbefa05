import nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import type { Config } from "../../src/config.ts";
import { PermanentError } from "../../src/transport/types.ts";
import type { TaskEmail } from "./message.ts";
import { outboxMailer } from "./outbox.ts";

/** Where emails go. `send` resolves once the email is accepted for good, and only then. */
export interface Mailer {
  send(email: TaskEmail): Promise<void>;
  close(): void;
}

type SmtpSettings = NonNullable<Config["email"]["smtp"]>;

/** An SMTP mailer when SMTP is configured, otherwise the development outbox of `.eml` files. */
export function createMailer(settings: Config["email"]): Mailer {
  return settings.smtp ? smtpMailer(settings.smtp) : outboxMailer(settings.outboxDir);
}

/**
 * One pooled connection (events are handled one at a time). Resolves on the server's 250 to the message.
 * A 5xx to the envelope or the message is the server's final answer for this email: a PermanentError. Anything
 * else (4xx, refused or dropped connections, timeouts, even a 5xx to AUTH, which is our configuration and not
 * this email's fault) is thrown as it is, so the retry middleware tries again.
 */
export function smtpMailer(smtp: SmtpSettings): Mailer {
  // maxRequeues is honoured by nodemailer 7 but missing from its type definitions.
  const poolOptions: SMTPPool.Options & { maxRequeues: number } = {
    pool: true,
    maxConnections: 1,
    // Retrying is the retry middleware's job, with backoff and a log line; the pool would requeue forever.
    maxRequeues: 0,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: smtp.password },
    // The defaults (2 and 10 minutes) would outlast the consumer's max.poll.interval.ms on a hung server.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  };
  const transporter = nodemailer.createTransport(poolOptions);
  return {
    async send(email) {
      try {
        await transporter.sendMail(email.mail);
      } catch (error) {
        if (isFinalRejection(error)) {
          throw new PermanentError(`SMTP server refused the email: ${(error as Error).message}`, { cause: error });
        }
        throw error;
      }
    },
    close() {
      transporter.close();
    },
  };
}

function isFinalRejection(error: unknown): boolean {
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return (
    (code === "EENVELOPE" || code === "EMESSAGE") &&
    typeof responseCode === "number" &&
    responseCode >= 500 &&
    responseCode < 600
  );
}
