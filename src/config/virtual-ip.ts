// One `virtual_ipaddress` line: <IPADDR>[/<MASK>] [brd <IPADDR>|+|-] [dev IF] [scope S] [label L] ...

import { broadcastOf, parseIpv4, prefixToMask } from "../common/ipv4.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import type { Token } from "./lexer.ts";
import type { VipScope, VirtualIp } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { isIpv6Text, parseInteger } from "./values.ts";

const SCOPES = new Set(["global", "site", "link", "host", "nowhere"]);
/**
 * ip-address(8) options keepalived accepts that tandem does not act on; value = takes an argument.
 * A Map, so that an option spelled "constructor" or "__proto__" is unknown rather than found.
 */
const UNIMPLEMENTED = new Map([
  ["peer", true],
  ["preferred_lft", true],
  ["track_group", true],
  ["home", false],
  ["-nodad", false],
  ["mngtmpaddr", false],
  ["noprefixroute", false],
  ["autojoin", false],
  ["no_track", false],
  ["use_vmac", false],
]);

/** Parse one address line; undefined if it is invalid (error reported) or skipped (IPv6, warned). */
export function parseVirtualIp(stmt: Statement, diag: Diagnostics): VirtualIp | undefined {
  const first = stmt.keyword;
  const [addressText = "", maskText] = first.text.split("/", 2);
  if (isIpv6Text(addressText)) {
    diag.warn(first, `IPv6 virtual addresses are not supported yet; ${first.text} skipped`);
    return undefined;
  }
  const address = parseIpv4(addressText);
  if (address === undefined) {
    diag.error(first, `virtual address must be an IPv4 address with an optional /prefix (e.g. 10.0.0.1/24), got ${first.text}`);
    return undefined;
  }
  let prefixLength = 32;
  if (maskText !== undefined) {
    const maskTok: Token = { ...first, text: maskText, col: first.col + addressText.length + 1 };
    const parsed = parseInteger(maskTok, "prefix length", 0, 32, diag);
    if (parsed === undefined) return undefined;
    prefixLength = parsed;
  }
  const vip: VirtualIp = { address, prefixLength, location: locationOf(first) };
  const args = stmt.args;
  for (let i = 0; i < args.length; i++) {
    const option = args[i] as Token;
    const value = args[i + 1];
    const needValue = (what: string): Token | undefined => {
      if (!value) diag.error(option, `${option.text} needs ${what} in virtual address ${first.text}`);
      i++;
      return value;
    };
    switch (option.text) {
      case "brd": {
        const tok = needValue("an IPv4 address, + or -");
        if (!tok) return undefined;
        if (tok.text === "+" || tok.text === "-") {
          // ip(8): '+' sets the host bits, '-' clears them; meaningless for /31 and /32.
          if (prefixLength >= 31) diag.warn(tok, `prefix length ${prefixLength} is too long for a broadcast address; brd ${tok.text} ignored`);
          else vip.broadcast = tok.text === "+" ? broadcastOf(address, prefixLength) : (address & prefixToMask(prefixLength)) >>> 0;
        } else {
          const brd = parseIpv4(tok.text);
          if (brd === undefined) {
            diag.error(tok, `brd must be an IPv4 address, + or -, got ${tok.text}`);
            return undefined;
          }
          vip.broadcast = brd;
        }
        break;
      }
      case "dev": {
        const tok = needValue("an interface name");
        if (!tok) return undefined;
        vip.device = tok.text;
        break;
      }
      case "scope": {
        const tok = needValue("a scope");
        if (!tok) return undefined;
        const scope = parseScope(tok, diag);
        if (scope === undefined) return undefined;
        vip.scope = scope;
        break;
      }
      case "label": {
        const tok = needValue("a label");
        if (!tok) return undefined;
        vip.label = tok.text;
        break;
      }
      default: {
        const takesValue = UNIMPLEMENTED.get(option.text);
        if (takesValue === undefined) {
          diag.warn(option, `unknown option '${option.text}' for virtual address ${first.text}; ignored`);
          break;
        }
        diag.warn(option, `parsed but not implemented: ${option.text} (virtual address ${first.text})`);
        if (takesValue && !needValue("a value")) return undefined;
      }
    }
  }
  return vip;
}

function parseScope(tok: Token, diag: Diagnostics): VipScope | undefined {
  if (SCOPES.has(tok.text)) return tok.text as VipScope;
  if (/^\d+$/.test(tok.text)) return parseInteger(tok, "scope", 0, 255, diag);
  diag.error(tok, `scope must be global, site, link, host, nowhere or 0..255, got ${tok.text}`);
  return undefined;
}
