// Many IPVS requests in one sendmsg: consecutive sequence numbers, each request asking for
// its own ack, so the kernel's answers (it handles the messages of one datagram in order and
// answers each) map back to the request they belong to. Pure: sockets live in net/.
import { concatBytes } from "../netlink/netlink-codec.ts";
import { matchAcks, type AckMatch, type RequestOutcome } from "../netlink/netlink-acks.ts";
import { encodeIpvsRequest, type IpvsRequest } from "./ipvs-requests.ts";

export interface EncodedBatch {
  /** The messages back to back, ready for one sendmsg. */
  bytes: Uint8Array;
  /** seqs[i] is requests[i]'s sequence number. */
  seqs: number[];
}

/** Requests numbered from `firstSeq` (wrapping at 2^32, as nlmsg_seq does). */
export function encodeBatch(familyId: number, requests: readonly IpvsRequest[], firstSeq: number, pid = 0): EncodedBatch {
  const seqs = requests.map((_, index) => (firstSeq + index) >>> 0);
  return { bytes: concatBytes(requests.map((request, index) => encodeIpvsRequest(familyId, request, seqs[index]!, pid))), seqs };
}

export interface BatchResult {
  request: IpvsRequest;
  outcome: RequestOutcome;
}

/** Each request of a batch beside what the kernel answered it (pending if nothing yet), and what matched none. */
export function matchBatch(
  batch: EncodedBatch,
  requests: readonly IpvsRequest[],
  datagrams: readonly Uint8Array[],
): { results: BatchResult[]; unmatched: AckMatch["unmatched"]; problems: string[] } {
  const { outcomes, unmatched, problems } = matchAcks(datagrams, batch.seqs);
  return { results: requests.map((request, index) => ({ request, outcome: outcomes.get(batch.seqs[index]!)! })), unmatched, problems };
}
