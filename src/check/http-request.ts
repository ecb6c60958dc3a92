// The GET request an HTTP_GET or SSL_GET checker sends, byte for byte as keepalived 2.2.7's
// check_http.c request_template builds it, so a server's access log and any rule on it (a
// User-Agent match, a Host-based vhost) see tandem as they saw keepalived. Pure.

export type HttpProtocol = "1.0" | "1.0C" | "1.1";

/** http_protocol's values (1.0c too, as keepalived reads it); undefined for anything else. */
export function parseHttpProtocol(text: string | undefined): HttpProtocol | undefined {
  if (text === undefined || text === "1.0") return "1.0";
  if (text === "1.1") return "1.1";
  if (text === "1.0C" || text === "1.0c") return "1.0C";
  return undefined;
}

export interface HttpRequestTarget {
  path: string;
  protocol: HttpProtocol;
  /**
   * The url's virtualhost, else the checker's, else the real server's, else the virtual
   * server's (http_request_thread); none: the address and port connected to.
   */
  virtualhost?: string;
  address: { text: string; family: 4 | 6 };
  port: number;
}

/**
 * "GET path HTTP/1.x", keepalived's User-Agent, "Connection: close" for 1.0C and 1.1, and
 * the Host: a virtualhost as given (no port), else the address with the port (an IPv6
 * address in brackets, RFC 2732).
 */
export function httpRequest(target: HttpRequestTarget): string {
  const minor = target.protocol === "1.1" ? 1 : 0;
  const close = target.protocol === "1.0" ? "" : "Connection: close\r\n";
  const host = target.virtualhost ?? (target.address.family === 6 ? `[${target.address.text}]:${target.port}` : `${target.address.text}:${target.port}`);
  return `GET ${target.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}
