// The ports keepalived 2.2.7 gives real and sorry servers (check_data.c validate_check_config):
// filled in, reset or cleared outside groups, left as written inside them, with its warnings.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { LbKind, RealServer, SorryServer, VirtualServerGroup } from "./model.ts";

/**
 * validate_check_config's ports outside groups: NAT keeps its own port (a real server the
 * service's if none, unless fwmark; the caller leaves a NAT sorry server's alone, as keepalived
 * does); any other method uses the service's (none for fwmark), saying so when written otherwise.
 */
export function serverPort(
  lbKind: LbKind,
  own: number,
  fwmark: boolean,
  vsPort: number,
  what: string,
  at: SourceLocation,
  name: string,
  diag: Diagnostics,
): number {
  if (lbKind === "NAT") return own === 0 && !fwmark ? vsPort : own;
  if (fwmark) {
    if (own !== 0) diag.warn(at, `${name} is a fwmark service, so ${what}'s port ${own} is not used (${lbKind}); keepalived clears it`);
    return 0;
  }
  if (own !== 0 && own !== vsPort)
    diag.warn(at, `${what} port ${own} differs from ${name}'s port ${vsPort}, which ${lbKind} cannot change; keepalived uses ${vsPort}`);
  return vsPort;
}

/** In a group keepalived changes no port but warns where a non-NAT server's port cannot be used. */
export function warnGroupPorts(
  entries: VirtualServerGroup["entries"],
  realServers: RealServer[],
  sorry: SorryServer | undefined,
  name: string,
  diag: Diagnostics,
): void {
  const servers: { what: string; lbKind: LbKind; port: number; location: SourceLocation }[] = [
    ...realServers.map((rs) => ({ what: `real_server ${rs.address.text}`, lbKind: rs.lbKind, port: rs.port, location: rs.location })),
    ...(sorry ? [{ what: "sorry_server", lbKind: sorry.lbKind, port: sorry.port, location: sorry.location }] : []),
  ];
  const ports = new Set<number>();
  let fwmarks = false;
  for (const e of entries) {
    if (e.kind === "range") ports.add(e.port);
    else fwmarks = true;
  }
  for (const s of servers) {
    if (s.lbKind === "NAT" || s.port === 0) continue;
    if (fwmarks) diag.warn(s.location, `${name}: the group's fwmark entries do not use ${s.what}'s port ${s.port} (${s.lbKind}); keepalived ignores it there`);
    const other = [...ports].find((p) => p !== s.port);
    if (other !== undefined)
      diag.warn(s.location, `${name}: ${s.what}'s port ${s.port} differs from the group entry port ${other}; ${s.lbKind} uses the entry's port`);
  }
}
