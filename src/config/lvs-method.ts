// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` (and lb_kind,
// sorry_server_lvs_method): keepalived 2.2.7's svr_forwarding_handler, its rules and its errors.

import type { Diagnostics } from "./diagnostics.ts";
import type { LbKind, TunnelOptions } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, requireArg } from "./values.ts";

/** A forwarding method as one statement gives it: the tunnel is set iff the method is TUN. */
export interface Forwarding {
  lbKind: LbKind;
  tunnel?: TunnelOptions;
}

const LB_KINDS: ReadonlySet<string> = new Set(["NAT", "DR", "TUN"]);
const TUNNEL_TYPES: ReadonlySet<string> = new Set(["ipip", "gue", "gre"]);
const CHECKSUMS: ReadonlySet<string> = new Set(["nocsum", "csum", "remcsum"]);

/**
 * Each statement says everything: options it leaves out are ipip, no port, nocsum (not what an
 * earlier statement said), as in keepalived. Undefined, with an error, when any part is wrong.
 */
export function parseForwarding(stmt: Statement, diag: Diagnostics): Forwarding | undefined {
  const name = stmt.keyword.text;
  const methodTok = requireArg(stmt, 0, "NAT, DR or TUN", diag);
  if (!methodTok) return undefined;
  if (!LB_KINDS.has(methodTok.text)) {
    diag.error(methodTok, `${name} must be NAT, DR or TUN, got ${methodTok.text}`);
    return undefined;
  }
  const tunnel: TunnelOptions = { type: "ipip", port: 0, checksum: "nocsum" };
  const args = stmt.args;
  for (let i = 1; i < args.length; i++) {
    const tok = args[i]!;
    const value = args[i + 1];
    if (tok.text === "type" || tok.text === "port") {
      if (!value) {
        diag.error(tok, tok.text === "type" ? `${name}: 'type' needs ipip, gue or gre` : `${name}: 'port' needs the gue tunnel's UDP port 1..65535`);
        return undefined;
      }
      i++;
      if (tok.text === "type") {
        if (!TUNNEL_TYPES.has(value.text)) {
          diag.error(value, `${name}: unknown tunnel type ${value.text}; use ipip, gue or gre`);
          return undefined;
        }
        tunnel.type = value.text as TunnelOptions["type"];
      } else {
        const port = parseInteger(value, `${name} gue tunnel port`, 1, 65535, diag);
        if (port === undefined) return undefined;
        tunnel.port = port;
      }
    } else if (CHECKSUMS.has(tok.text)) tunnel.checksum = tok.text as TunnelOptions["checksum"];
    else {
      diag.error(tok, `${name}: unknown tunnel option ${tok.text} (type, port, nocsum, csum or remcsum)`);
      return undefined;
    }
  }
  // keepalived checks the options whatever the method, so `DR type gue` is an error there too.
  const at = args[1] ?? methodTok;
  if ((tunnel.type === "gue") !== (tunnel.port !== 0)) {
    diag.error(at, `${name}: a gue tunnel needs 'port N', and only a gue tunnel takes a port`);
    return undefined;
  }
  if (tunnel.type === "ipip" && tunnel.checksum !== "nocsum") {
    diag.error(at, `${name}: an ipip tunnel takes no checksum option`);
    return undefined;
  }
  if (tunnel.type === "gre" && tunnel.checksum === "remcsum") {
    diag.error(at, `${name}: a gre tunnel takes nocsum or csum, not remcsum`);
    return undefined;
  }
  const lbKind = methodTok.text as LbKind;
  if (lbKind !== "TUN") {
    if (args[1]) diag.warn(args[1], `${name}: tunnel options apply to TUN only; ignored for ${lbKind}`);
    return { lbKind };
  }
  return { lbKind, tunnel };
}
