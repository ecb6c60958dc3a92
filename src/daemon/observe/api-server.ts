// The REST API's HTTP server: the one Bun.serve call. Parses api_listen, serves HTTPS when
// given a certificate, passes each caller's address to the app (for per-client limits and
// the action log), and says clearly why it cannot listen. Bun itself bounds what reaches
// the app: request heads (it closes a connection whose head is not complete after ~10 s,
// whatever trickles in; checked by the API fuzz test), header size, and body size.
import type { Hono } from "hono";
import type { Logger } from "../../common/logger.ts";
import type { ApiBindings } from "../../api/index.ts";

export interface ApiServerOptions {
  /** api_listen: "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080"; port 0 picks a free port. */
  listen: string;
  app: Hono;
  logger: Logger;
  /** PEM texts; HTTPS when present. */
  tls?: { certificate: string; key: string };
  /** Bun refuses larger bodies before the app sees them (413). */
  maxRequestBodyBytes?: number;
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

/**
 * Event streams send a heartbeat every 15 s; Bun's default idle timeout (10 s) would cut them.
 * It also bounds a request body that trickles in (the app's own body deadline comes first).
 */
const IDLE_TIMEOUT_S = 60;
const DEFAULT_MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;

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
    return new Error(
      `cannot listen on ${listen}: the address is already in use (another tandem, or another program, holds it); stop it or set api_listen in global_defs to a free address`,
    );
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
      // The app's own limit is 1 MiB; a little more here so its 413 (counted, with a message) answers first.
      maxRequestBodySize: options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
      ...(options.tls ? { tls: { cert: options.tls.certificate, key: options.tls.key } } : {}),
      async fetch(request, bunServer) {
        const bindings: ApiBindings = { remoteAddress: bunServer.requestIP(request)?.address };
        const response = await app.fetch(request, bindings);
        if (response.status >= 500) logger.warn(`${request.method.slice(0, 16)} ${pathOf(request.url)} answered ${response.status}`);
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
    url: `${options.tls ? "https" : "http"}://${host}:${server.port}`,
    async stop() {
      await server.stop(true);
    },
  };
}

/** The path of a request URL, even when its Host made the whole URL unparsable. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.search(/[?#]/);
  return start < 0 ? "/" : url.slice(start, end > start ? end : undefined).slice(0, 256);
}
