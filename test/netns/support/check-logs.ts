// What the checkers' netns tests read in the daemon's log: when a line holding all the given
// parts was first logged after a moment (tandem's lines start with an ISO time), and the
// self-signed certificate their TLS servers use.
import { join } from "node:path";
import { exec } from "../lib/index.ts";

/** Milliseconds since the epoch of the first line at or after `sinceMs` holding every part. */
export function loggedAt(log: string, parts: string | readonly string[], sinceMs: number): number | undefined {
  const sought = typeof parts === "string" ? [parts] : parts;
  for (const line of log.split("\n")) {
    if (!sought.every((part) => line.includes(part))) continue;
    const atMs = Date.parse(line.slice(0, 24));
    if (Number.isFinite(atMs) && atMs >= sinceMs) return atMs;
  }
  return undefined;
}

/** A P-256 self-signed certificate for `cn`, valid two days: server.crt and server.key in `dir`. */
export async function selfSignedCertificate(dir: string, cn = "rs.test"): Promise<void> {
  await exec(null, [
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-keyout",
    join(dir, "server.key"),
    "-out",
    join(dir, "server.crt"),
  ]);
}
