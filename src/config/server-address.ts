// `IP [PORT]` after virtual_server, real_server and sorry_server: IPv4 or IPv6, as keepalived's
// inet_stosockaddr reads it (a port of 0 or none means no port).

import { parseIpAddress, type IpAddress } from "../common/ip-address.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { Token } from "./lexer.ts";
import type { Statement } from "./statement-tree.ts";
import { parseInteger, requireArg, warnExtraArgs } from "./values.ts";

export interface ServerAddress {
  address: IpAddress;
  /** 0: none written (keepalived treats "0" and "00" the same). */
  port: number;
}

/** The address at `args[index]` and the optional port after it. */
export function parseServerAddress(stmt: Statement, diag: Diagnostics, index = 0): ServerAddress | undefined {
  const name = stmt.keyword.text;
  const tok = requireArg(stmt, index, "an IPv4 or IPv6 address and optional port", diag);
  if (!tok) return undefined;
  const address = addressOf(tok, name, diag);
  if (!address) return undefined;
  const portTok = stmt.args[index + 1];
  if (!portTok) return { address, port: 0 };
  const port = parseInteger(portTok, `${name} port`, 0, 65535, diag);
  if (port === undefined) return undefined;
  warnExtraArgs(stmt, index + 2, diag);
  return { address, port };
}

function addressOf(tok: Token, name: string, diag: Diagnostics): IpAddress | undefined {
  // keepalived cuts the text at its first '-', else its first '/' (its range and mask syntax), and reads what is before.
  const dash = tok.text.indexOf("-");
  const cut = dash >= 0 ? dash : tok.text.indexOf("/");
  const text = cut < 0 ? tok.text : tok.text.slice(0, cut);
  const address = parseIpAddress(text);
  if (!address) {
    diag.error(tok, `${name} address must be an IPv4 or IPv6 address, got ${tok.text}`);
    return undefined;
  }
  if (cut >= 0) diag.warn(tok, `${name} takes one address, not a range or mask: keepalived reads ${tok.text} as ${address.text}, and so does tandem`);
  return address;
}
