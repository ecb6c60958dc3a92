// The REST API's HTTP server: the one Bun.serve call. Parses api_listen, passes each
// caller's address to the app (for the action log), and says clearly why it cannot listen.
import type { Hono } from "hono";
import type { Logger } from "../common/logger.ts";
import type { ApiBindings } from "../api/index.ts";

export interface ApiServerOptions {
  /** api_listen: "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080"; port 0 picks a free port. */
  listen: string;
  app: Hono;
  logger: Logger;
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:8080 (the port actually bound). */
  url: string;
  /** Closes the listener and every open connection (event streams included). */
  stop(): Promise<void>;
}

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Event streams send a heartbeat every 15 s; Bun's default idle timeout (10 s) would cut them. */
const IDLE_TIMEOUT_S = 60;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** "HOST:PORT" with HOST an IPv4 address, [IPv6] or localhost; throws a readable error otherwise. */
export function parseListenAddress(listen: string): ListenAddress {
  const match = /^(\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  const port = match ? Number(match[4]) : NaN;
  const hostname = match ? (match[2] ?? match[3]!) : "";
  const validHost = match?.[2] !== undefined ? hostname.includes(":") : IPV4.test(hostname) || hostname === "localhost";
  if (!match || !validHost || !(port >= 0 && port <= 65535)) {
    throw new Error(`api_listen "${listen}" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:8080; port 0..65535)`);
  }
  return { hostname, port };
}

function listenError(listen: string, error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message ?? String(error);
  if (code === "EADDRINUSE" || /in use/i.test(message)) {
    return new Error(`cannot listen on ${listen}: the address is already in use (another tandem, or another program, holds it); stop it or set api_listen in global_defs to a free address`);
  }
  if (code === "EADDRNOTAVAIL" || /not available|cannot assign/i.test(message)) {
    return new Error(`cannot listen on ${listen}: that address is not on any interface of this box; set api_listen to one of its addresses`);
  }
  if (code === "EACCES" || /permission/i.test(message)) return new Error(`cannot listen on ${listen}: permission denied (ports below 1024 need root)`);
  return new Error(`cannot listen on ${listen}: ${message}${code ? ` (${code})` : ""}`);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { app, logger } = options;
  const { hostname, port } = parseListenAddress(options.listen);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port,
      idleTimeout: IDLE_TIMEOUT_S,
      async fetch(request, bunServer) {
        const bindings: ApiBindings = { remoteAddress: bunServer.requestIP(request)?.address };
        const response = await app.fetch(request, bindings);
        if (response.status >= 500) logger.warn(`${request.method} ${new URL(request.url).pathname} answered ${response.status}`);
        return response;
      },
      error(error) {
        logger.error(`request failed: ${error.message}`);
        return Response.json({ error: "internal error" }, { status: 500 });
      },
    });
  } catch (error) {
    throw listenError(options.listen, error);
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${server.port}`,
    async stop() {
      await server.stop(true);
    },
  };
}
