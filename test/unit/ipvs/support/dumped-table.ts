// Test helper: the table the kernel dumped during one captured ipvsadm listing (every
// GET_SERVICE answer with its GET_DEST answers), and the GET_INFO it read, as the decoders
// read them, so a printer can be held against what ipvsadm printed from the same bytes.
import { decodeDestinationDump, decodeInfoReply, decodeServiceDump } from "../../../../src/ipvs/ipvs-replies.ts";
import { decodeIpvsRequest } from "../../../../src/ipvs/ipvs-requests.ts";
import type { PrintableService } from "../../../../src/ipvs/ipvsadm-text.ts";
import { IPVS_CMD_GET_DEST, IPVS_CMD_GET_INFO, IPVS_CMD_GET_SERVICE } from "../../../../src/ipvs/ip-vs-constants.ts";
import type { IpvsInfo } from "../../../../src/ipvs/settings-types.ts";
import { NLMSG_DONE, type NetlinkMessage } from "../../../../src/netlink/netlink-codec.ts";
import { answersTo, ipvsFamilyId, ipvsRequests, type Exchange } from "./captures.ts";

const NLMSG_ERROR = 2;
const dataOf = (messages: NetlinkMessage[]): NetlinkMessage[] => messages.filter((m) => m.header.type !== NLMSG_DONE && m.header.type !== NLMSG_ERROR);

/** The services in the kernel's order (ipvsadm sorts them itself), each with its destinations and counters. */
export function dumpedServices(exchange: Exchange): PrintableService[] {
  const family = ipvsFamilyId(exchange);
  const requests = ipvsRequests(exchange);
  const services: PrintableService[] = [];
  for (const request of requests.filter((r) => r.cmd === IPVS_CMD_GET_SERVICE)) {
    const dump = decodeServiceDump(dataOf(answersTo(exchange, request.message)), family);
    if (dump.rejected.length > 0) throw new Error(`${exchange.name}: ${dump.rejected.join("; ")}`);
    for (const entry of dump.entries) {
      const same = JSON.stringify({ kind: "get-destinations", service: entry.spec.key });
      const destRequest = requests.find((r) => r.cmd === IPVS_CMD_GET_DEST && JSON.stringify(decodeIpvsRequest(r.message, family)) === same);
      if (!destRequest) throw new Error(`${exchange.name}: no GET_DEST for a dumped service`);
      const serviceFamily = entry.spec.key.kind === "fwmark" ? entry.spec.key.family : entry.spec.key.address.family;
      const destinations = decodeDestinationDump(dataOf(answersTo(exchange, destRequest.message)), serviceFamily, family);
      if (destinations.rejected.length > 0) throw new Error(`${exchange.name}: ${destinations.rejected.join("; ")}`);
      services.push({ ...entry.spec, stats: entry.stats, destinations: destinations.entries });
    }
  }
  return services;
}

/** What GET_INFO answered, if ipvsadm asked. */
export function dumpedInfo(exchange: Exchange): IpvsInfo | undefined {
  const request = ipvsRequests(exchange).find((r) => r.cmd === IPVS_CMD_GET_INFO);
  if (!request) return undefined;
  const [reply] = answersTo(exchange, request.message);
  const info = reply && decodeInfoReply(reply, ipvsFamilyId(exchange));
  if (!info || "rejected" in info) throw new Error(`${exchange.name}: GET_INFO's reply does not decode`);
  return info;
}

/** What ipvsadm printed, as the one string it wrote. */
export const printedText = (exchange: Exchange): string => exchange.printed.map((line) => `${line}\n`).join("");
