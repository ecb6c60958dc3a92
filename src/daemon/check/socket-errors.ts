// A socket error as the log says it: "connection refused", not "ECONNREFUSED". Every probe
// names its failures through here, so one reason has one wording whatever the checker.
import type { ConnectTarget } from "../../check/check-spec.ts";

/**
 * With the target, the errors of its bind_if and fwmark name them (net/checker-socket.ts's
 * SystemError says which call failed in `operation`).
 */
export function describeSocketError(error: unknown, target?: ConnectTarget): string {
  const code = (error as { code?: string }).code;
  const operation = (error as { operation?: unknown }).operation;
  const failedCall = typeof operation === "string" ? operation : "";
  switch (code) {
    case "ENODEV":
      // SO_BINDTODEVICE's answer for a device this host (its network namespace) does not have.
      if (target?.bindInterface !== undefined && failedCall.startsWith("setsockopt(SO_BINDTODEVICE)"))
        return `bind_if ${target.bindInterface}: no such interface`;
      return (error as Error)?.message ?? String(error);
    case "EPERM":
      // SO_MARK needs CAP_NET_ADMIN (or, since Linux 5.17, CAP_NET_RAW); an EPERM from connect is a firewall's, its message says so.
      if (failedCall.startsWith("setsockopt(SO_MARK)"))
        return `${target?.fwmark ? `fwmark ${target.fwmark}: ` : ""}setting SO_MARK needs CAP_NET_ADMIN or CAP_NET_RAW`;
      return (error as Error)?.message ?? String(error);
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by the server";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENETUNREACH":
      return "network unreachable";
    case "ENETDOWN":
      // A bind_if whose link is down, typically.
      return "network down";
    case "EPIPE":
      return "the server closed the connection";
    case "EADDRNOTAVAIL":
      // Without a bindto, the kernel found no source address (bind_if's link has none usable yet).
      if (target && !target.bindTo) return `no local address to connect from${target.bindInterface !== undefined ? ` on bind_if ${target.bindInterface}` : ""}`;
      return "bindto address not available on this host";
    case "EADDRINUSE":
      return "bind_port already in use";
    default:
      return (error as Error)?.message ?? String(error);
  }
}
