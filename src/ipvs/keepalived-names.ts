// keepalived 2.2.7's names for virtual and real servers in its log lines and notify FIFO
// (check_data.c format_vs / format_rs, utils.c inet_sockaddrtotrio; ipwrapper.c
// notify_fifo_vs / notify_fifo_rs), so scripts that parse them keep working. Pure.
import type { IpAddress } from "../common/ip-address.ts";
import type { IpvsProtocol } from "./types.ts";

/** The protocols as keepalived writes them: a table, not toLowerCase, which made a new string per real server. */
const protocolNames: Record<IpvsProtocol, string> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** "[10.0.0.2]:tcp:80"; a fwmark service has no protocol, which keepalived writes "none". */
export function keepalivedTrio(address: IpAddress, protocol: IpvsProtocol | undefined, port: number): string {
  return `[${address.text}]:${protocol ? protocolNames[protocol] : "none"}:${port}`;
}

/** format_vs: "[10.0.0.1]:tcp:80", "FWM 7", or "[group]:N" with N the virtual server's number among those using the group. */
export function keepalivedVirtualServerName(
  key: { kind: "address"; address: IpAddress; port: number } | { kind: "fwmark"; fwmark: number } | { kind: "group"; name: string; ordinal: number },
  protocol: IpvsProtocol | undefined,
): string {
  if (key.kind === "group") return `[${key.name}]:${key.ordinal}`;
  if (key.kind === "fwmark") return `FWM ${key.fwmark}`;
  return keepalivedTrio(key.address, protocol, key.port);
}

/** The notify FIFO line of a virtual server's quorum: "VS [10.0.0.1]:tcp:80 UP". */
export function virtualServerFifoLine(virtualServerName: string, quorumUp: boolean): string {
  return `VS ${virtualServerName} ${quorumUp ? "UP" : "DOWN"}`;
}

/** The notify FIFO line of a real server: "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN". */
export function realServerFifoLine(realServerName: string, virtualServerName: string, alive: boolean): string {
  return `RS ${realServerName} ${virtualServerName} ${alive ? "UP" : "DOWN"}`;
}
