// The caller's address, as the HTTP server passes it in Hono's env: the key of every
// per-client limit and the name in the action log and in refusals.
import type { Context } from "hono";

/** What the HTTP server passes as Hono's env. */
export interface ApiBindings {
  remoteAddress?: string;
}

export function clientAddress(c: Context): string {
  const bindings = c.env as ApiBindings | undefined;
  const address = bindings?.remoteAddress;
  // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d: one client, one name.
  if (typeof address !== "string" || address === "") return "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
