// Test helper: the exchanges in test/fixtures/ipvs (ipvsadm under strace on the appliance
// kernel, see capture.ts there) as values: the command, what it printed, and each sendmsg
// ('>') and recvmsg ('<') buffer, split into netlink messages.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeFamily } from "../../../../src/netlink/generic-netlink.ts";
import { GENL_ID_CTRL } from "../../../../src/netlink/generic-netlink-constants.ts";
import { decodeMessages, type NetlinkMessage } from "../../../../src/netlink/netlink-codec.ts";

export interface Transfer {
  direction: "sent" | "received";
  bytes: Uint8Array;
  messages: NetlinkMessage[];
}

export interface Exchange {
  name: string;
  /** "ipvsadm -A -t 10.0.0.1:80 -s wrr". */
  command: string;
  exitStatus: number;
  /** What the command printed, one line each, as captured. */
  printed: string[];
  transfers: Transfer[];
}

const FIXTURES = join(import.meta.dir, "../../../fixtures/ipvs");

export function loadExchange(name: string): Exchange {
  const text = readFileSync(join(FIXTURES, `${name}.hex`), "utf8");
  const lines = text.split("\n");
  const command = lines[0]!.replace(/^# /, "");
  const exitStatus = Number(/exit status (\d+)/.exec(lines[1]!)?.[1]);
  const printed = lines.filter((line) => line.startsWith("#   ")).map((line) => line.slice(4));
  const transfers: Transfer[] = [];
  let hex: string[] | undefined;
  let direction: Transfer["direction"] = "sent";
  const flush = (): void => {
    if (!hex) return;
    const bytes = Uint8Array.from(hex.join("").match(/../g) ?? [], (pair) => parseInt(pair, 16));
    const { messages, problem } = decodeMessages(bytes);
    if (problem) throw new Error(`${name}: ${problem}`);
    transfers.push({ direction, bytes, messages });
  };
  for (const line of lines) {
    if (line.startsWith("#")) continue;
    const head = /^([<>]) \w+ \d+ bytes$/.exec(line);
    if (head) {
      flush();
      direction = head[1] === ">" ? "sent" : "received";
      hex = [];
    } else if (hex && line.trim()) hex.push(line.replace(/\s+/g, ""));
  }
  flush();
  return { name, command, exitStatus, printed, transfers };
}

export const sentMessages = (exchange: Exchange): NetlinkMessage[] => exchange.transfers.filter((t) => t.direction === "sent").flatMap((t) => t.messages);
export const receivedMessages = (exchange: Exchange): NetlinkMessage[] =>
  exchange.transfers.filter((t) => t.direction === "received").flatMap((t) => t.messages);

/** The IPVS family id, from the controller's answer inside the exchange itself. */
export function ipvsFamilyId(exchange: Exchange): number {
  for (const message of receivedMessages(exchange)) {
    if (message.header.type !== GENL_ID_CTRL) continue;
    const family = decodeFamily(message);
    if (!("rejected" in family) && family.name === "IPVS") return family.id;
  }
  throw new Error(`${exchange.name}: no CTRL_CMD_NEWFAMILY for IPVS`);
}

/** ipvsadm's IPVS requests (not the controller's), in order, with the genetlink command. */
export function ipvsRequests(exchange: Exchange): { message: NetlinkMessage; cmd: number; bytes: Uint8Array }[] {
  const family = ipvsFamilyId(exchange);
  return exchange.transfers
    .filter((t) => t.direction === "sent")
    .flatMap((t) => t.messages.map((message) => ({ message, bytes: t.bytes })))
    .filter(({ message }) => message.header.type === family)
    .map(({ message, bytes }) => ({ message, cmd: message.payload[0]!, bytes }));
}

/** The one request of `cmd` (throws if there are none or several). */
export function theRequest(exchange: Exchange, cmd: number): { message: NetlinkMessage; bytes: Uint8Array } {
  const found = ipvsRequests(exchange).filter((request) => request.cmd === cmd);
  if (found.length !== 1) throw new Error(`${exchange.name}: ${found.length} requests with command ${cmd}`);
  return found[0]!;
}

/** What the kernel sent back to one request: everything with its sequence number and port id. */
export function answersTo(exchange: Exchange, request: NetlinkMessage): NetlinkMessage[] {
  return receivedMessages(exchange).filter((m) => m.header.seq === request.header.seq && m.header.pid === request.header.pid);
}

/** The whole bytes of one message (header to nlmsg_len), e.g. to compare with an encoder's output. */
export function messageBytes(message: NetlinkMessage): Uint8Array {
  const bytes = new Uint8Array(message.header.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, message.header.length, true);
  view.setUint16(4, message.header.type, true);
  view.setUint16(6, message.header.flags, true);
  view.setUint32(8, message.header.seq, true);
  view.setUint32(12, message.header.pid, true);
  bytes.set(message.payload, 16);
  return bytes;
}

export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
