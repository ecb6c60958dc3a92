// The director's kernel port over generic netlink: the table read as a service dump and one
// destination dump per service (or just the services asked for, each with a GET_SERVICE), ops written as batches of IPVS requests with one result each,
// and the settings beside the table (GET_INFO for the preflight, timeouts, sync daemons, flush).
import { systemClock } from "../../common/clock.ts";
import { timeSlices } from "../../common/time-slices.ts";
import {
  DEFAULT_SLICE_MS,
  openGenericNetlinkSocket,
  type GenericNetlinkOptions,
  type GenericNetlinkSocket,
  type GenlRequestEncoder,
} from "../../net/generic-netlink-socket.ts";
import { NetlinkError } from "../../net/netlink-socket.ts";
import { describeNetlinkError } from "../../netlink/netlink-acks.ts";
import { ESRCH } from "../../netlink/linux-errno.ts";
import type { RequestResult } from "../../netlink/netlink-batching.ts";
import type { NetlinkMessage, Rejection } from "../../netlink/netlink-codec.ts";
import { NetlinkWriter } from "../../netlink/netlink-writer.ts";
import type { IpvsKernelPort } from "../../ipvs/director.ts";
import { IPVS_GENL_NAME } from "../../ipvs/ip-vs-constants.ts";
import {
  decodeConfigReply,
  decodeDaemonReply,
  decodeDestinationDump,
  decodeInfoReply,
  decodeServiceReply,
  observedService,
  type ServiceEntry,
} from "../../ipvs/ipvs-replies.ts";
import { encodeIpvsRequest, type IpvsRequest } from "../../ipvs/ipvs-requests.ts";
import { opResultOf, requestOfOp, settingResultOf } from "../../ipvs/op-requests.ts";
import type { IpvsOpResult } from "../../ipvs/ops.ts";
import type { IpvsInfo, IpvsTimeouts, SyncDaemonSpec, SyncDaemonState, SyncDaemonStatus } from "../../ipvs/settings-types.ts";
import { serviceFamily, serviceKeyText, type IpvsTable, type ObservedDestination, type ObservedService, type ServiceKey } from "../../ipvs/types.ts";

export interface IpvsKernel extends IpvsKernelPort {
  /** The preflight: IPVS's version and the connection table's size. */
  info(): Promise<IpvsInfo>;
  /** lvs_timeouts: the TCP, TCP FIN and UDP timeouts in force. */
  connectionTimeouts(): Promise<IpvsTimeouts>;
  /** Sets the timeouts given; the kernel keeps the others. */
  setConnectionTimeouts(timeouts: Partial<IpvsTimeouts>): Promise<IpvsOpResult>;
  /** lvs_sync_daemon: the sync daemons running (none, master, backup or both). */
  syncDaemons(): Promise<SyncDaemonStatus[]>;
  startSyncDaemon(daemon: SyncDaemonSpec): Promise<IpvsOpResult>;
  /** ESRCH when that daemon is not running. */
  stopSyncDaemon(state: SyncDaemonState): Promise<IpvsOpResult>;
  /** lvs_flush: every service, tandem's or not. Only on the configuration's say-so. */
  flush(): Promise<IpvsOpResult>;
  close(): void;
}

export interface IpvsKernelOptions extends GenericNetlinkOptions {
  /** The socket's opener; tests pass a fake kernel's. */
  openSocket?: typeof openGenericNetlinkSocket;
}

export type IpvsKernelOpen = { ok: true; kernel: IpvsKernel } | { ok: false; kind: "no-ipvs" | "socket-error"; reason: string };

export const NO_IPVS_REASON = `the kernel has no IPVS (generic netlink family ${IPVS_GENL_NAME} not found); is the ip_vs module loaded?`;

async function openSocket(options: IpvsKernelOptions): Promise<{ ok: true; socket: GenericNetlinkSocket } | Extract<IpvsKernelOpen, { ok: false }>> {
  const opened = await (options.openSocket ?? openGenericNetlinkSocket)(IPVS_GENL_NAME, options);
  if (opened.ok) return opened;
  if (opened.kind === "no-family") return { ok: false, kind: "no-ipvs", reason: NO_IPVS_REASON };
  return { ok: false, kind: "socket-error", reason: `IPVS over generic netlink: ${opened.message}` };
}

/**
 * Opens the IPVS family. Asking the controller for it is enough to load ip_vs where it is
 * a module (the kernel requests its family alias), so no modprobe is needed; a kernel
 * without IPVS answers with the typed "no-ipvs" result, for the daemon to report the
 * director unavailable.
 */
export async function openIpvsKernel(options: IpvsKernelOptions = {}): Promise<IpvsKernelOpen> {
  const first = await openSocket(options);
  if (!first.ok) return first;
  let current: GenericNetlinkSocket | undefined = first.socket;
  const clock = options.clock ?? systemClock();
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  let closed = false;

  /** The socket, opened again if a failed dump left the last one unusable. */
  const socket = async (): Promise<GenericNetlinkSocket> => {
    if (closed) throw new Error("the IPVS kernel port is closed");
    if (current) return current;
    const reopened = await openSocket(options);
    if (!reopened.ok) throw new Error(reopened.reason);
    return (current = reopened.socket);
  };

  const encoder =
    (familyId: number, request: IpvsRequest): GenlRequestEncoder =>
    (seq, pid) =>
      encodeIpvsRequest(familyId, request, seq, pid);

  /** A dump's parts; a socket that failed mid-dump is dropped (the kernel may still hold the dump) and reopened next time. */
  const dumpOf = async (request: IpvsRequest, operation: string) => {
    const netlink = await socket();
    try {
      return await netlink.dump(encoder(netlink.family.id, request), operation);
    } catch (error) {
      // A refusal (a NetlinkError with the kernel's errno) leaves the socket as it was; a timeout or lost parts do not.
      if (!(error instanceof NetlinkError)) {
        netlink.close();
        if (current === netlink) current = undefined;
      }
      throw error;
    }
  };

  /** One do-request, its answer as a result (the data reply, if any, in replies). */
  const one = async (request: IpvsRequest): Promise<RequestResult> => {
    const netlink = await socket();
    return (await netlink.sendBatch([encoder(netlink.family.id, request)]))[0]!;
  };

  /** A GET's single data reply, decoded, or an Error saying why not. */
  const reply = async <T extends object>(request: IpvsRequest, operation: string, decode: (reply: NetlinkMessage) => T | Rejection): Promise<T> => {
    const answer = await one(request);
    if (!answer.ok) throw new Error(`${operation}: ${describeNetlinkError(answer.error)}`);
    const first = answer.replies[0];
    if (!first) throw new Error(`${operation}: the kernel acknowledged but sent no reply`);
    const decoded = decode(first);
    if ("rejected" in decoded) throw new Error(`${operation}: ${decoded.rejected}`);
    return decoded;
  };

  /** One service's destinations (a dump: empty where the service is not there). */
  const destinationsOf = async (key: ServiceKey): Promise<ObservedDestination[]> => {
    const operation = `IPVS_CMD_GET_DEST dump of ${serviceKeyText(key)}`;
    const destinations = decodeDestinationDump(await dumpOf({ kind: "get-destinations", service: key }, operation), serviceFamily(key));
    if (destinations.rejected.length > 0)
      throw new Error(`${operation}: ${destinations.rejected.length} destination(s) could not be read: ${destinations.rejected[0]}`);
    return destinations.entries;
  };

  return {
    ok: true,
    kernel: {
      async dump(): Promise<IpvsTable<ObservedService>> {
        // Decoding thousands of entries takes long enough to matter: in slices, between which timers and IPC run.
        const slices = timeSlices(clock, sliceMs);
        const services: ServiceEntry[] = [];
        for (const part of await dumpOf({ kind: "get-services" }, "IPVS_CMD_GET_SERVICE dump")) {
          const entry = decodeServiceReply(part);
          // A service left out of the table would be added again (EEXIST) on every pass: better to say the table could not be read.
          if ("rejected" in entry) throw new Error(`IPVS_CMD_GET_SERVICE dump: a service could not be read: ${entry.rejected}`);
          services.push(entry);
          const paused = slices.pause();
          if (paused) await paused;
        }
        const observed: ObservedService[] = [];
        for (const entry of services) {
          observed.push(observedService(entry, await destinationsOf(entry.spec.key)));
          const paused = slices.pause();
          if (paused) await paused;
        }
        return { services: observed };
      },

      async dumpServices(keys) {
        const slices = timeSlices(clock, sliceMs);
        const observed: ObservedService[] = [];
        for (const key of keys) {
          const operation = `IPVS_CMD_GET_SERVICE ${serviceKeyText(key)}`;
          const answer = await one({ kind: "get-service", service: key });
          // ESRCH: the kernel has no such service (ip_vs_genl_get_cmd).
          if (!answer.ok && answer.error.errno === ESRCH) continue;
          if (!answer.ok) throw new Error(`${operation}: ${describeNetlinkError(answer.error)}`);
          const entry = answer.replies[0] ? decodeServiceReply(answer.replies[0]) : { rejected: "the kernel acknowledged but sent no reply" };
          if ("rejected" in entry) throw new Error(`${operation}: ${entry.rejected}`);
          observed.push(observedService(entry, await destinationsOf(key)));
          const paused = slices.pause();
          if (paused) await paused;
        }
        return { services: observed };
      },

      async apply(ops) {
        if (ops.length === 0) return [];
        let answers: RequestResult[];
        try {
          const netlink = await socket();
          const familyId = netlink.family.id;
          const writer = new NetlinkWriter();
          // Each op becomes its request only when its datagram is built: thousands of them at once would hold up the event loop.
          answers = await netlink.sendBatch({
            count: ops.length,
            encode: (index, seq, pid) => encodeIpvsRequest(familyId, requestOfOp(ops[index]!), seq, pid, writer),
          });
        } catch (error) {
          // The port never throws for a write: every op fails with the socket's reason, and the director retries.
          const reason = `not sent: ${(error as Error).message}`;
          return ops.map((): IpvsOpResult => ({ ok: false, errno: "EOTHER", reason }));
        }
        const slices = timeSlices(clock, sliceMs);
        // Awaited only when a slice is over: an await per result (of undefined, mostly) took as long as building the results.
        const results: IpvsOpResult[] = [];
        for (let index = 0; index < ops.length; index++) {
          results.push(opResultOf(ops[index]!, answers[index]!));
          const paused = slices.pause();
          if (paused) await paused;
        }
        return results;
      },

      info: () => reply({ kind: "get-info" }, "IPVS_CMD_GET_INFO", decodeInfoReply),
      connectionTimeouts: () => reply({ kind: "get-config" }, "IPVS_CMD_GET_CONFIG", decodeConfigReply),
      setConnectionTimeouts: async (timeouts) => settingResultOf("IPVS_CMD_SET_CONFIG", await one({ kind: "set-config", timeouts })),

      async syncDaemons() {
        const parts = await dumpOf({ kind: "get-daemons" }, "IPVS_CMD_GET_DAEMON dump");
        return parts.map((part) => {
          const daemon = decodeDaemonReply(part);
          if ("rejected" in daemon) throw new Error(`IPVS_CMD_GET_DAEMON dump: ${daemon.rejected}`);
          return daemon;
        });
      },
      startSyncDaemon: async (daemon) => settingResultOf(`IPVS_CMD_NEW_DAEMON ${daemon.state}`, await one({ kind: "new-daemon", daemon })),
      stopSyncDaemon: async (state) => settingResultOf(`IPVS_CMD_DEL_DAEMON ${state}`, await one({ kind: "del-daemon", state })),
      flush: async () => settingResultOf("IPVS_CMD_FLUSH", await one({ kind: "flush" })),

      close() {
        closed = true;
        current?.close();
        current = undefined;
      },
    },
  };
}
