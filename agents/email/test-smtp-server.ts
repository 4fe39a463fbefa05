import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";

/** What the test server received: the envelope and the raw message, CRLF line ends, as the client sent it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** RCPT TO commands seen, accepted or not: one per delivery attempt. */
  readonly attempts: number;
  close(): Promise<void>;
}

export interface Rejection {
  code: number;
  message: string;
}

/**
 * A real SMTP server on a free loopback port, without TLS or authentication, keeping mail in memory.
 * `reject(attempt)` may refuse the recipient of the given attempt (1-based) with an SMTP reply code.
 */
export async function startTestSmtpServer(options: { reject?: (attempt: number) => Rejection | undefined } = {}) {
  const received: ReceivedMail[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 2_000,
    onRcptTo(_address, _session, callback) {
      attempts++;
      const rejection = options.reject?.(attempts);
      if (rejection === undefined) return callback();
      callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    get attempts() {
      return attempts;
    },
    close: () => new Promise<void>((resolve) => server.close(resolve)),
  } satisfies TestSmtpServer;
}

/** The header block of a raw message, unfolded: one entry per header line, in order. */
export function headerLines(raw: string): string[] {
  const end = raw.indexOf("\r\n\r\n");
  const block = raw.slice(0, end === -1 ? raw.length : end);
  return block.replace(/\r\n[ \t]/g, " ").split("\r\n");
}

/** Every value of header `name` (case-insensitive), unfolded. */
export function headerValues(raw: string, name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return headerLines(raw)
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** Decodes RFC 2047 encoded words (UTF-8, B or Q), joining adjacent ones as RFC 2047 §6.2 says. */
export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_match, encoding: string, text: string) => {
      if (encoding.toLowerCase() === "b") return Buffer.from(text, "base64").toString("utf8");
      const bytes = text.replace(/_/g, " ").replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => `%${hex}`);
      return decodeURIComponent(bytes);
    });
}

/** The body of a raw message (after the blank line), with quoted-printable soft breaks and escapes decoded. */
export function bodyText(raw: string): string {
  const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(raw)) return body;
  const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes);
}
