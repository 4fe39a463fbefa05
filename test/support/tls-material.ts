/**
 * Throwaway TLS material for a test broker, made with the system's openssl
 * and keytool: a private CA, a loopback server certificate signed by it, the
 * broker's PKCS12 keystore and a PKCS12 truststore holding the CA. Nothing is
 * reused between runs, so no key ever needs to be committed.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TlsMaterial {
  /** PEM certificate of the CA: what clients pass as ssl.ca.location. */
  caCertPath: string;
  /** PKCS12 with the server key, its certificate and the CA certificate (the chain a client verifies). */
  keystorePath: string;
  /** PKCS12 holding only the CA certificate, for JVM clients or brokers that verify peers. */
  truststorePath: string;
  /** Protects both stores (and the key inside the keystore: PKCS12 uses one password for both). */
  storePassword: string;
  storeType: "PKCS12";
}

export interface TlsMaterialOptions {
  /** subjectAltName entries of the server certificate. Default: IP 127.0.0.1 and DNS localhost. */
  ipAddresses?: string[];
  dnsNames?: string[];
  /** Default 30: long enough for a cluster a script leaves running, short enough to be harmless if leaked. */
  validDays?: number;
}

// P-256 keys are generated in milliseconds (RSA takes far longer on a busy
// machine), and both the JVM and librdkafka's OpenSSL accept them.
const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function run(cmd: string[], cwd: string): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${code}):\n${out}${err}`);
}

function subjectAltName(ipAddresses: string[], dnsNames: string[]): string {
  return [...ipAddresses.map((ip) => `IP:${ip}`), ...dnsNames.map((dns) => `DNS:${dns}`)].join(",");
}

/** A random positive serial: two certificates from one CA must not share one. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return `0x${bytes.toString("hex")}`;
}

/** Writes the material into `dir` (created if missing) and returns the paths clients and brokers need. */
export async function createTlsMaterial(dir: string, options: TlsMaterialOptions = {}): Promise<TlsMaterial> {
  const ipAddresses = options.ipAddresses ?? ["127.0.0.1"];
  const dnsNames = options.dnsNames ?? ["localhost"];
  const days = String(options.validDays ?? 30);
  mkdirSync(dir, { recursive: true });
  const storePassword = randomBytes(12).toString("hex");
  const material: TlsMaterial = {
    caCertPath: join(dir, "ca.pem"),
    keystorePath: join(dir, "server.keystore.p12"),
    truststorePath: join(dir, "truststore.p12"),
    storePassword,
    storeType: "PKCS12",
  };
  const serverExtensions = join(dir, "server.ext");
  writeFileSync(
    serverExtensions,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${subjectAltName(ipAddresses, dnsNames)}`,
    ].join("\n") + "\n",
  );

  await run(
    [
      "openssl", "req", "-x509", ...KEY_ARGS, "-keyout", "ca.key", "-out", "ca.pem", "-days", days,
      "-subj", "/CN=agent-events test CA",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  await run(["openssl", "req", "-new", ...KEY_ARGS, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${dnsNames[0] ?? ipAddresses[0] ?? "localhost"}`], dir);
  await run(
    [
      "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
      "-set_serial", serialNumber(), "-days", days, "-sha256", "-extfile", serverExtensions, "-out", "server.pem",
    ],
    dir,
  );
  await Promise.all([
    run(
      [
        "openssl", "pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-certfile", "ca.pem",
        "-name", "broker", "-out", material.keystorePath, "-passout", `pass:${storePassword}`,
      ],
      dir,
    ),
    run(
      [
        "keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", material.caCertPath,
        "-keystore", material.truststorePath, "-storetype", "PKCS12", "-storepass", storePassword,
      ],
      dir,
    ),
  ]);
  return material;
}
