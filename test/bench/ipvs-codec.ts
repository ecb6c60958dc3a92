// Host microbenchmark of the IPVS director's CPU-heavy pure parts, on the director
// benchmark's tables (ipvs-director-tables.ts): resolving the plans, the desired table, the
// load's reconcile, encoding its requests (and batching them with their acks, as the socket
// does), decoding a dump of the table (the kernel's bytes from ipvs-replies' encoders), and the
// steady-state reconcile of desired against observed. Median of warm runs, in ms.
//   bun test/bench/ipvs-codec.ts [--runs N] [--warmup N] [--only TEXT]
// --only keeps the stages whose name contains TEXT (for a profile of one: bun --cpu-prof ...).
import { memoryFiles, parseConfig, type Config } from "../../src/config/index.ts";
import { desiredTable } from "../../src/ipvs/desired-table.ts";
import { encodeDestinationReply, encodeServiceReply, decodeDestinationDump, decodeServiceReply, observedService } from "../../src/ipvs/ipvs-replies.ts";
import { encodeIpvsRequest } from "../../src/ipvs/ipvs-requests.ts";
import { requestOfOp } from "../../src/ipvs/op-requests.ts";
import type { IpvsOp } from "../../src/ipvs/ops.ts";
import { planVirtualServers } from "../../src/ipvs/plan-virtual-servers.ts";
import { IDLE_DIRECTOR, NO_INTENT, step } from "../../src/ipvs/quorum-machine.ts";
import { initialHealth } from "../../src/ipvs/real-server-health.ts";
import { reconcile } from "../../src/ipvs/reconcile.ts";
import { resolvePlans } from "../../src/ipvs/resolve-plan.ts";
import type { ResolvedVirtualServer } from "../../src/ipvs/resolved-plan.ts";
import { ZERO_COUNTERS } from "../../src/ipvs/ipvs-stats-attributes.ts";
import { NO_STATS, type IpvsTable, type ObservedService } from "../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../src/ipvs/virtual-server-plan.ts";
import { encodeAck, encodeDone, matchAcks } from "../../src/netlink/netlink-acks.ts";
import { batchChunks } from "../../src/netlink/netlink-batching.ts";
import { concatBytes, getU32, nlmsgAlign, type NetlinkMessage } from "../../src/netlink/netlink-codec.ts";
import { NetlinkWriter } from "../../src/netlink/netlink-writer.ts";
import { keepalivedConf, type BenchTable } from "./ipvs-director-tables.ts";
import { markdownTable, summarize } from "./stats.ts";

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) || fallback : fallback;
};
const RUNS = option("--runs", 7);
const WARMUP = option("--warmup", 2);
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const FAMILY_ID = 0x23;
const PORT_ID = 4242;
/** The socket's defaults (generic-netlink-socket.ts): a 32 KiB datagram, and the acks a 4 MiB receive buffer holds. */
const LIMITS = { maxBytes: 32 * 1024, maxMessages: 1024 };
/** The kernel's cap on one dump part (netlink_recvmsg's max_recvmsg_len), which its dump datagrams fill. */
const DUMP_DATAGRAM_BYTES = 32 * 1024;

function configOf(text: string): Config {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length > 0) throw new Error(`config: ${JSON.stringify(errors.slice(0, 3))}`);
  return parsed.config;
}

/** The director's desired table at start, every real server alive (the tables have no checkers). */
function desiredOf(virtualServers: readonly ResolvedVirtualServer[]) {
  const health = initialHealth(virtualServers);
  const state = step(IDLE_DIRECTOR, { kind: "start", rsInitNotifies: false, virtualServers, health, intent: NO_INTENT }).state;
  return () => desiredTable(virtualServers, health, NO_INTENT, state);
}

/** The load's ops (every service and destination added), from freshly resolved plans: the codec's per-service cache starts cold. */
function loadOps(plans: readonly VirtualServerPlan[]): IpvsOp[] {
  return reconcile(desiredOf(resolvePlans(plans).virtualServers)().table, { services: [] }, { owned: new Set() });
}

/** Messages packed into datagrams of at most `maxBytes`, as the kernel fills a dump's skbs. */
function datagramsOf(messages: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (parts.length > 0 && bytes + message.length > maxBytes) {
      datagrams.push(concatBytes(parts));
      parts = [];
      bytes = 0;
    }
    parts.push(message);
    bytes += message.length;
  }
  if (parts.length > 0) datagrams.push(concatBytes(parts));
  return datagrams;
}

/** The kernel's answers to a dump of `table`: the service dump, then one destination dump per service, each ending in NLMSG_DONE. */
function dumpBytesOf(table: IpvsTable) {
  let seq = 1;
  const serviceSeq = seq++;
  const to = (dumpSeq: number) => ({ familyId: FAMILY_ID, seq: dumpSeq, portId: PORT_ID, dumpPart: true });
  const services = datagramsOf(
    [...table.services.map((service) => encodeServiceReply(to(serviceSeq), { spec: service, stats: ZERO_COUNTERS })), encodeDone(serviceSeq, PORT_ID)],
    DUMP_DATAGRAM_BYTES,
  );
  const destinations = table.services.map((service) => {
    const dumpSeq = seq++;
    const replies = service.destinations.map((destination) => encodeDestinationReply(to(dumpSeq), { ...destination, stats: NO_STATS }));
    return { seq: dumpSeq, datagrams: datagramsOf([...replies, encodeDone(dumpSeq, PORT_ID)], DUMP_DATAGRAM_BYTES) };
  });
  return { serviceSeq, services, destinations };
}

/** What the kernel port's dump() does with those bytes: match the parts to their dump, decode them, build the observed table. */
function decodeDump(dump: ReturnType<typeof dumpBytesOf>): IpvsTable<ObservedService> {
  const parts = (datagrams: Uint8Array[], seq: number): NetlinkMessage[] => matchAcks(datagrams, [seq]).outcomes.get(seq)!.replies;
  const entries = parts(dump.services, dump.serviceSeq).map((part) => {
    const entry = decodeServiceReply(part);
    if ("rejected" in entry) throw new Error(entry.rejected);
    return entry;
  });
  const services = entries.map((entry, index) => {
    const { seq, datagrams } = dump.destinations[index]!;
    const decoded = decodeDestinationDump(parts(datagrams, seq), 4);
    if (decoded.rejected.length > 0) throw new Error(decoded.rejected[0]);
    return observedService(entry, decoded.entries);
  });
  return { services };
}

/** The ops' requests encoded (in one writer, as the kernel port does) and packed into datagrams as sendBatch does, then the kernel's acks matched back. */
function sendAndMatch(ops: readonly IpvsOp[], acks: readonly Uint8Array[][]): number {
  let matched = 0;
  let chunkIndex = 0;
  const writer = new NetlinkWriter();
  const encode = (index: number, seq: number) => encodeIpvsRequest(FAMILY_ID, requestOfOp(ops[index]!), seq, PORT_ID, writer);
  for (const chunk of batchChunks(ops.length, encode, 1, LIMITS)) {
    const match = matchAcks(acks[chunkIndex++]!, chunk.seqs);
    for (const seq of chunk.seqs) if (match.outcomes.get(seq)?.status === "ok") matched++;
  }
  return matched;
}

/** The kernel's acks (capped: NETLINK_CAP_ACK) to each chunk of a batch: one datagram each, as netlink_ack queues one skb per request. */
function acksOf(ops: readonly IpvsOp[]): Uint8Array[][] {
  const encode = (index: number, seq: number) => encodeIpvsRequest(FAMILY_ID, requestOfOp(ops[index]!), seq, PORT_ID);
  const acks: Uint8Array[][] = [];
  for (const chunk of batchChunks(ops.length, encode, 1, LIMITS)) {
    const answers: Uint8Array[] = [];
    for (let offset = 0; offset < chunk.bytes.length;) {
      const length = getU32(chunk.bytes, offset);
      answers.push(encodeAck(chunk.bytes.subarray(offset, offset + length), 0, { portId: PORT_ID, capAck: true }));
      offset += nlmsgAlign(length);
    }
    acks.push(answers);
  }
  return acks;
}

interface Stage {
  name: string;
  /** Work done before each timed run and not timed (fresh inputs). */
  prepare?: () => unknown;
  run: (prepared: unknown) => unknown;
}

function measure(stage: Stage): number[] {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const prepared = stage.prepare?.();
    Bun.gc(true);
    const startMs = performance.now();
    stage.run(prepared);
    const ms = performance.now() - startMs;
    if (i >= WARMUP) times.push(ms);
  }
  return times;
}

function benchTable(table: BenchTable): string[][] {
  const label = `${table.services} x ${table.realServers}`;
  const plans = planVirtualServers(configOf(keepalivedConf(table)));
  const virtualServers = resolvePlans(plans).virtualServers;
  const desired = desiredOf(virtualServers)().table;
  const ops = loadOps(plans);
  const acks = acksOf(ops);
  const dump = dumpBytesOf(desired);
  const observed = decodeDump(dump);
  const steady = reconcile(desired, observed, { owned: new Set() });
  if (steady.length !== 0) throw new Error(`the dumped table should need no ops, got ${steady.length} (first: ${JSON.stringify(steady[0])})`);
  const requests = ops.length;
  const destinations = desired.services.reduce((sum, service) => sum + service.destinations.length, 0);

  const stages: Stage[] = [
    { name: "resolvePlans", run: () => resolvePlans(plans) },
    { name: "quorum machine start (initialHealth + step)", run: () => desiredOf(virtualServers) },
    { name: "desiredTable", prepare: () => desiredOf(virtualServers), run: (table) => (table as () => unknown)() },
    { name: "reconcile (load: desired vs empty)", run: () => reconcile(desired, { services: [] }, { owned: new Set() }) },
    {
      name: `encode ${requests} requests (add-service + add-destination)`,
      prepare: () => loadOps(plans),
      run: (fresh) => {
        const load = fresh as IpvsOp[];
        for (let index = 0; index < load.length; index++) encodeIpvsRequest(FAMILY_ID, requestOfOp(load[index]!), index + 1, PORT_ID);
      },
    },
    {
      name: "batch: encode + chunk + match acks",
      prepare: () => loadOps(plans),
      run: (fresh) => {
        if (sendAndMatch(fresh as IpvsOp[], acks) !== requests) throw new Error("an ack went unmatched");
      },
    },
    { name: `decode dump (${desired.services.length} services, ${destinations} destinations)`, run: () => decodeDump(dump) },
    { name: "reconcile (steady: desired vs observed)", run: () => reconcile(desired, observed, { owned: new Set() }) },
  ];
  return stages
    .filter((stage) => ONLY === undefined || stage.name.includes(ONLY))
    .map((stage) => {
      const summary = summarize(measure(stage))!;
      return [label, stage.name, summary.median.toFixed(1), summary.min.toFixed(1), summary.max.toFixed(1)];
    });
}

const rows = [...benchTable({ services: 1_000, realServers: 10 }), ...benchTable({ services: 2_000, realServers: 20 })];
console.log(`IPVS codec on the host, Bun ${Bun.version}: ${WARMUP} warm-up, median of ${RUNS} runs (ms)\n`);
console.log(markdownTable(["table", "stage", "median", "min", "max"], rows));
