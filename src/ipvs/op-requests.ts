// The director's ops as the IPVS requests that carry them, and the kernel's answers as op
// results. Destination and delete commands send only the service's key (and a delete only the
// destination's address): ip_vs_genl_set_cmd reads no more for them, and a key cannot
// disagree with what the kernel holds. Pure.
import type { NetlinkError } from "../netlink/netlink-acks.ts";
import type { IpvsRequest } from "./ipvs-requests.ts";
import type { IpvsErrno, IpvsOp, IpvsOpResult } from "./ops.ts";

export function requestOfOp(op: IpvsOp): IpvsRequest {
  switch (op.kind) {
    case "add-service":
      return { kind: "new-service", service: op.service };
    case "set-service":
      return { kind: "set-service", service: op.service };
    case "delete-service":
      return { kind: "del-service", service: op.key };
    case "add-destination":
      return { kind: "new-destination", service: op.service, destination: op.destination };
    case "set-destination":
      return { kind: "set-destination", service: op.service, destination: op.destination };
    case "delete-destination":
      return { kind: "del-destination", service: op.service, destination: { address: op.destination.address, port: op.destination.port } };
  }
}

const named: ReadonlySet<string> = new Set<IpvsErrno>([
  "EEXIST",
  "ESRCH",
  "ENOENT",
  "EINVAL",
  "ERANGE",
  "EAFNOSUPPORT",
  "EPERM",
  "ENOMEM",
  "ENOBUFS",
  "ETIMEDOUT",
]);

/** The errno's IpvsErrno name; one outside them is EOTHER (the reason keeps its own name). */
export function ipvsErrnoOf(error: NetlinkError): IpvsErrno {
  return named.has(error.name) ? (error.name as IpvsErrno) : "EOTHER";
}

const isDestinationOp = (op: IpvsOp): boolean => op.kind === "add-destination" || op.kind === "set-destination" || op.kind === "delete-destination";

/** What an errno means for this op, in ip_vs_ctl.c's terms. */
function meaning(op: IpvsOp, errno: IpvsErrno): string | undefined {
  switch (errno) {
    case "EEXIST":
      return isDestinationOp(op) ? "the destination already exists" : "the service already exists";
    case "ESRCH":
      return "no such service";
    case "ENOENT":
      return isDestinationOp(op) ? "no such destination" : "no such scheduler or persistence engine module";
    case "EINVAL":
      return "the kernel refused a value";
    case "ERANGE":
      return "weight or thresholds out of range";
    case "EAFNOSUPPORT":
      return "this kernel's IPVS lacks the address family";
    case "EPERM":
      return "not permitted (IPVS needs CAP_NET_ADMIN)";
    case "ENOMEM":
      return "the kernel is out of memory";
    default:
      return undefined;
  }
}

type Answer = { ok: true } | { ok: false; error: NetlinkError };

function failure(error: NetlinkError, why: string | undefined): IpvsOpResult {
  const { name, errno, message } = error;
  // The message is the kernel's extended ack, or the socket's account of an answer that never came.
  const said = `${name} (errno ${errno})${message ? `; ${message}` : ""}`;
  return { ok: false, errno: ipvsErrnoOf(error), reason: why ? `${why}: ${said}` : said };
}

/** The kernel's answer to an op's request as the director's result. */
export function opResultOf(op: IpvsOp, answer: Answer): IpvsOpResult {
  return answer.ok ? { ok: true } : failure(answer.error, meaning(op, ipvsErrnoOf(answer.error)));
}

/** The answer to a settings request (timeouts, sync daemon, flush), `what` naming it ("IPVS_CMD_NEW_DAEMON master"). */
export function settingResultOf(what: string, answer: Answer): IpvsOpResult {
  return answer.ok ? { ok: true } : failure(answer.error, what);
}
