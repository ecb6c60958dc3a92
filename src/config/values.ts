// Argument parsers for keyword values; each reports a located error and returns undefined on bad input.

import { parseIpAddress, type IpAddress } from "../common/ip-address.ts";
import { parseIpv4 } from "../common/ipv4.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { Token } from "./lexer.ts";
import type { Statement } from "./statement-tree.ts";

/** The `index`-th argument, or an error saying what the keyword needs. */
export function requireArg(stmt: Statement, index: number, what: string, diag: Diagnostics): Token | undefined {
  const tok = stmt.args[index];
  if (!tok) diag.error(stmt.keyword, `${stmt.keyword.text} needs ${what}`);
  return tok;
}

/** Warn about arguments after the ones a keyword uses (keepalived ignores them silently). */
export function warnExtraArgs(stmt: Statement, used: number, diag: Diagnostics): void {
  if (stmt.args.length <= used) return;
  const extra = stmt.args.slice(used);
  const first = extra[0];
  if (first) diag.warn(first, `extra arguments after ${stmt.keyword.text} ignored: ${extra.map((t) => t.text).join(" ")}`);
}

/** Decimal digits only: no hex, exponent or fraction. Hundreds of digits overflow to Infinity and fail the range. */
export function parseInteger(tok: Token, name: string, min: number, max: number, diag: Diagnostics): number | undefined {
  const value = /^[-+]?\d+$/.test(tok.text) ? Number(tok.text) : NaN;
  if (Number.isNaN(value) || value < min || value > max) {
    diag.error(tok, `${name} must be ${Number.isNaN(value) ? "an integer " : ""}${min}..${max}, got ${tok.text}`);
    return undefined;
  }
  // "-0" is 0: a negative zero would otherwise leak into the model (Object.is, 1 / x).
  return value + 0;
}

/** A decimal number such as keepalived's <TIMER> (seconds, fractions allowed). */
export function parseDecimal(tok: Token, name: string, min: number, max: number, diag: Diagnostics): number | undefined {
  // Not `\d+\.?\d*`: with an optional dot the two digit runs can split a long run of digits in
  // every way, and a 64 KiB token of digits took seconds to reject.
  const value = /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(tok.text) ? Number(tok.text) : NaN;
  if (Number.isNaN(value) || value < min || value > max) {
    diag.error(tok, `${name} must be ${Number.isNaN(value) ? "a number " : ""}${min}..${max}, got ${tok.text}`);
    return undefined;
  }
  return value + 0;
}

/**
 * keepalived's read_decimal_unsigned: a non-negative decimal with at most `places` decimals
 * (more are a warning, and rounded at the last one as keepalived rounds them), within min..max.
 */
export function parseFixedDecimal(tok: Token, name: string, min: number, max: number, places: number, diag: Diagnostics): number | undefined {
  const match = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/.exec(tok.text);
  if (!match) {
    diag.error(tok, `${name} must be a number of seconds ${min}..${max}, got ${tok.text}`);
    return undefined;
  }
  const whole = match[1] ?? "0";
  let fraction = match[2] ?? match[3] ?? "";
  let roundUp = false;
  if (fraction.length > places) {
    diag.warn(tok, `${name} ${tok.text} has more than ${places} decimal places; rounded to ${places}`);
    roundUp = fraction.charCodeAt(places) >= "5".charCodeAt(0);
    fraction = fraction.slice(0, places);
  }
  // Integer units of 10^-places: exact, so 0.001 is 0.001 and not 0.00099999.
  const units = Number(whole + fraction.padEnd(places, "0")) + (roundUp ? 1 : 0);
  const value = units / 10 ** places;
  if (!Number.isFinite(value) || value < min || value > max) {
    diag.error(tok, `${name} must be ${min}..${max} seconds, got ${tok.text}`);
    return undefined;
  }
  return value;
}

/** A Map, not an object literal: a plain object would answer "constructor" or "__proto__" too. */
const BOOLS = new Map([
  ["on", true],
  ["true", true],
  ["yes", true],
  ["off", false],
  ["false", false],
  ["no", false],
]);

/** keepalived's optional <BOOL> after a flag keyword: absent means true. */
export function parseOptionalBool(tok: Token | undefined, name: string, diag: Diagnostics): boolean | undefined {
  if (!tok) return true;
  const value = BOOLS.get(tok.text.toLowerCase());
  if (value === undefined) diag.error(tok, `${name} takes on|off|true|false|yes|no, got ${tok.text}`);
  return value;
}

export function parseIpv4Arg(tok: Token, name: string, diag: Diagnostics): number | undefined {
  const value = parseIpv4(tok.text);
  if (value === undefined) diag.error(tok, `${name} must be an IPv4 address, got ${tok.text}`);
  return value;
}

/** IPv4 (dotted quad) or IPv6 text, as keepalived's inet_pton reads it. */
export function parseIpAddressArg(tok: Token, name: string, diag: Diagnostics): IpAddress | undefined {
  const value = parseIpAddress(tok.text);
  if (value === undefined) diag.error(tok, `${name} must be an IPv4 or IPv6 address, got ${tok.text}`);
  return value;
}

export function isIpv6Text(text: string): boolean {
  return text.includes(":");
}

export function parsePort(tok: Token, name: string, diag: Diagnostics): number | undefined {
  return parseInteger(tok, `${name} port`, 0, 65535, diag);
}

/** `weight N [reverse|noreverse|no_reverse]` as used by track_* entries and scripts. */
export function parseWeight(
  args: Token[],
  name: string,
  min: number,
  max: number,
  diag: Diagnostics,
): { weight?: number; weightReverse?: boolean; used: number } | undefined {
  if (args[0]?.text !== "weight") return { used: 0 };
  const valueTok = args[1];
  if (!valueTok) {
    diag.error(args[0], `weight for ${name} needs a value ${min}..${max}`);
    return undefined;
  }
  const weight = parseInteger(valueTok, `weight for ${name}`, min, max, diag);
  if (weight === undefined) return undefined;
  const mode = args[2]?.text;
  if (mode === "reverse") return { weight, weightReverse: true, used: 3 };
  if (mode === "noreverse" || mode === "no_reverse") return { weight, weightReverse: false, used: 3 };
  return { weight, used: 2 };
}

/** Rejoin script words into one command line, quoting words that contain spaces. */
export function joinCommand(tokens: Token[]): string {
  return tokens.map((t) => (tokens.length > 1 && /\s/.test(t.text) ? `'${t.text}'` : t.text)).join(" ");
}
