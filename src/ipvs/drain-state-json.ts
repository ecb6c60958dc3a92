// The drain state as the operator-intent store keeps it: a versioned JSON value, and back,
// checked field by field so that a damaged or hand-edited file yields a reason, not a crash
// or a drain of something that was never there. Pure.
import { parseIpAddress, type IpAddress } from "../common/ip-address.ts";
import type { DrainEntry, DrainState } from "./drain.ts";
import type { IpvsProtocol, ServiceKey } from "./types.ts";

export interface DrainStateJson {
  version: 1;
  entries: DrainEntry[];
}

export function drainStateToJson(state: DrainState): DrainStateJson {
  return { version: 1, entries: structuredClone(state.entries) };
}

export type DrainStateDecoded = { ok: true; state: DrainState } | { ok: false; reason: string };

export function drainStateFromJson(value: unknown): DrainStateDecoded {
  if (!isRecord(value) || value.version !== 1) return { ok: false, reason: "not a version 1 drain state" };
  if (!Array.isArray(value.entries)) return { ok: false, reason: "entries is not a list" };
  const entries: DrainEntry[] = [];
  for (const [index, raw] of value.entries.entries()) {
    const entry = decodeEntry(raw);
    if (typeof entry === "string") return { ok: false, reason: `entry ${index}: ${entry}` };
    entries.push(entry);
  }
  return { ok: true, state: { entries } };
}

function decodeEntry(raw: unknown): DrainEntry | string {
  if (!isRecord(raw)) return "not an object";
  const service = decodeServiceKey(raw.service);
  if (typeof service === "string") return `service: ${service}`;
  if (!isRecord(raw.destination)) return "destination: not an object";
  const address = decodeAddress(raw.destination.address);
  if (typeof address === "string") return `destination: ${address}`;
  if (!isPort(raw.destination.port)) return "destination: port is not 0..65535";
  if (raw.cause !== "removed" && raw.cause !== "operator") return `cause ${JSON.stringify(raw.cause)} is not "removed" or "operator"`;
  if (raw.phase !== "draining" && raw.phase !== "removing") return `phase ${JSON.stringify(raw.phase)} is not "draining" or "removing"`;
  if (!Number.isFinite(raw.startedAtMs) || !Number.isFinite(raw.deadlineMs)) return "startedAtMs and deadlineMs must be numbers";
  return {
    service,
    destination: { address, port: raw.destination.port },
    cause: raw.cause,
    startedAtMs: raw.startedAtMs as number,
    deadlineMs: raw.deadlineMs as number,
    phase: raw.phase,
  };
}

function decodeServiceKey(raw: unknown): ServiceKey | string {
  if (!isRecord(raw)) return "not an object";
  if (raw.kind === "fwmark") {
    if (raw.family !== 4 && raw.family !== 6) return "family is not 4 or 6";
    if (!Number.isInteger(raw.fwmark) || (raw.fwmark as number) < 1 || (raw.fwmark as number) > 0xffffffff) return "fwmark is not 1..2^32-1";
    return { kind: "fwmark", family: raw.family, fwmark: raw.fwmark as number };
  }
  if (raw.kind !== "address") return `kind ${JSON.stringify(raw.kind)} is not "address" or "fwmark"`;
  if (!PROTOCOLS.includes(raw.protocol as IpvsProtocol)) return `protocol ${JSON.stringify(raw.protocol)} is not TCP, UDP or SCTP`;
  const address = decodeAddress(raw.address);
  if (typeof address === "string") return address;
  if (!isPort(raw.port)) return "port is not 0..65535";
  return { kind: "address", protocol: raw.protocol as IpvsProtocol, address, port: raw.port };
}

/** Re-parsed, so a stored address is canonical again and of the family its text says. */
function decodeAddress(raw: unknown): IpAddress | string {
  if (!isRecord(raw) || typeof raw.text !== "string") return "address is not an object with a text";
  const address = parseIpAddress(raw.text);
  if (!address || address.family !== raw.family) return `address ${JSON.stringify(raw.text)} is not an IPv${raw.family} address`;
  return address;
}

const PROTOCOLS: readonly IpvsProtocol[] = ["TCP", "UDP", "SCTP"];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isPort = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff;
