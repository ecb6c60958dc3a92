// Host microbenchmark of the IPVS director's CPU-heavy pure parts, on the director
// benchmark's tables (ipvs-director-tables.ts): resolving the plans, the quorum machine's
// start and the desired table, the load's reconcile, encoding its requests (and batching them
// with their acks, as the socket does), decoding a dump of the table (the kernel's bytes from
// ipvs-replies' encoders, matched to their dump as the socket does), and the steady-state
// reconcile of desired against observed. Median of warm runs, in ms; Bun.gc before each.
//   bun test/bench/ipvs-codec.ts [--runs N] [--warmup N] [--only TEXT] [--before DIR]
// --only keeps the stages whose name contains TEXT (for a profile of one: bun --cpu-prof ...).
// --before DIR also runs the stages on another checkout's src (git archive REV src | tar -x -C
// DIR), each run of the one beside a run of the other so the host's noise hits both alike,
// and first checks that both encode the same bytes and decode the same table.
import { resolve } from "node:path";
import type { IpvsOp } from "../../src/ipvs/ops.ts";
import type { ResolvedVirtualServer } from "../../src/ipvs/resolved-plan.ts";
import type { IpvsTable, ObservedService } from "../../src/ipvs/types.ts";
import type { VirtualServerPlan } from "../../src/ipvs/virtual-server-plan.ts";
import type { NetlinkMessage } from "../../src/netlink/netlink-codec.ts";
import { keepalivedConf, type BenchTable } from "./ipvs-director-tables.ts";
import { markdownTable, summarize } from "./stats.ts";

const argument = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const RUNS = Number(argument("--runs")) || 7;
const WARMUP = Number(argument("--warmup")) || 5;
const ONLY = argument("--only");
const BEFORE = argument("--before");
const FAMILY_ID = 0x23;
const PORT_ID = 4242;
/** The socket's defaults (generic-netlink-socket.ts): a 32 KiB datagram, and the acks a 4 MiB receive buffer holds. */
const LIMITS = { maxBytes: 32 * 1024, maxMessages: 1024 };
/** The kernel's cap on one dump part (netlink_recvmsg's max_recvmsg_len), which its dump datagrams fill. */
const DUMP_DATAGRAM_BYTES = 32 * 1024;

/** The modules the stages use, from one source tree (this checkout's, or --before's). */
async function modulesOf(root: string) {
  const from = (path: string) => resolve(root, "src", path);
  return {
    config: (await import(from("config/index.ts"))) as typeof import("../../src/config/index.ts"),
    desired: (await import(from("ipvs/desired-table.ts"))) as typeof import("../../src/ipvs/desired-table.ts"),
    replies: (await import(from("ipvs/ipvs-replies.ts"))) as typeof import("../../src/ipvs/ipvs-replies.ts"),
    requests: (await import(from("ipvs/ipvs-requests.ts"))) as typeof import("../../src/ipvs/ipvs-requests.ts"),
    opRequests: (await import(from("ipvs/op-requests.ts"))) as typeof import("../../src/ipvs/op-requests.ts"),
    plans: (await import(from("ipvs/plan-virtual-servers.ts"))) as typeof import("../../src/ipvs/plan-virtual-servers.ts"),
    quorum: (await import(from("ipvs/quorum-machine.ts"))) as typeof import("../../src/ipvs/quorum-machine.ts"),
    health: (await import(from("ipvs/real-server-health.ts"))) as typeof import("../../src/ipvs/real-server-health.ts"),
    reconcile: (await import(from("ipvs/reconcile.ts"))) as typeof import("../../src/ipvs/reconcile.ts"),
    resolve: (await import(from("ipvs/resolve-plan.ts"))) as typeof import("../../src/ipvs/resolve-plan.ts"),
    stats: (await import(from("ipvs/ipvs-stats-attributes.ts"))) as typeof import("../../src/ipvs/ipvs-stats-attributes.ts"),
    types: (await import(from("ipvs/types.ts"))) as typeof import("../../src/ipvs/types.ts"),
    acks: (await import(from("netlink/netlink-acks.ts"))) as typeof import("../../src/netlink/netlink-acks.ts"),
    batching: (await import(from("netlink/netlink-batching.ts"))) as typeof import("../../src/netlink/netlink-batching.ts"),
    codec: (await import(from("netlink/netlink-codec.ts"))) as typeof import("../../src/netlink/netlink-codec.ts"),
    // Older trees have no writer: their encoder makes its own buffers.
    writer: (await import(from("netlink/netlink-writer.ts")).catch(() => undefined)) as typeof import("../../src/netlink/netlink-writer.ts") | undefined,
  };
}

type Modules = Awaited<ReturnType<typeof modulesOf>>;

interface Stage {
  name: string;
  /** Work done before each timed run and not timed (fresh inputs). */
  prepare?: () => unknown;
  run: (prepared: unknown) => unknown;
}

/** A table's inputs and stages in one tree's code; `check` holds what two trees must agree on. */
function stagesOf(m: Modules, table: BenchTable): { stages: Stage[]; check: { requests: Uint8Array[]; dump: Uint8Array[]; observed: string } } {
  const parsed = m.config.parseConfig("/etc/keepalived/keepalived.conf", {
    ...m.config.memoryFiles({ "/etc/keepalived/keepalived.conf": keepalivedConf(table) }),
    configId: undefined,
  });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length > 0) throw new Error(`config: ${JSON.stringify(errors.slice(0, 3))}`);
  const plans = m.plans.planVirtualServers(parsed.config);

  /** The director's desired table at start, every real server alive (the tables have no checkers). */
  const desiredOf = (virtualServers: readonly ResolvedVirtualServer[]) => {
    const health = m.health.initialHealth(virtualServers);
    const state = m.quorum.step(m.quorum.IDLE_DIRECTOR, { kind: "start", rsInitNotifies: false, virtualServers, health, intent: m.quorum.NO_INTENT }).state;
    return () => m.desired.desiredTable(virtualServers, health, m.quorum.NO_INTENT, state);
  };
  /** The load's ops (every service and destination added), from freshly resolved plans: the codec's per-service cache starts cold. */
  const loadOps = (from: readonly VirtualServerPlan[]): IpvsOp[] =>
    m.reconcile.reconcile(desiredOf(m.resolve.resolvePlans(from).virtualServers)().table, { services: [] }, { owned: new Set() });
  const encoderOf = (ops: readonly IpvsOp[], writer = m.writer ? new m.writer.NetlinkWriter() : undefined) => {
    return (index: number, seq: number) => m.requests.encodeIpvsRequest(FAMILY_ID, m.opRequests.requestOfOp(ops[index]!), seq, PORT_ID, writer);
  };

  /** Messages packed into datagrams of at most DUMP_DATAGRAM_BYTES, as the kernel fills a dump's skbs. */
  const datagramsOf = (messages: readonly Uint8Array[]): Uint8Array[] => {
    const datagrams: Uint8Array[] = [];
    let parts: Uint8Array[] = [];
    let bytes = 0;
    for (const message of messages) {
      if (parts.length > 0 && bytes + message.length > DUMP_DATAGRAM_BYTES) {
        datagrams.push(m.codec.concatBytes(parts));
        parts = [];
        bytes = 0;
      }
      parts.push(message);
      bytes += message.length;
    }
    if (parts.length > 0) datagrams.push(m.codec.concatBytes(parts));
    return datagrams;
  };

  /** The kernel's answers to a dump of `desired`: the service dump (seq 1), then one destination dump per service, each ending in NLMSG_DONE. */
  const dumpOf = (desired: IpvsTable) => {
    const to = (seq: number) => ({ familyId: FAMILY_ID, seq, portId: PORT_ID, dumpPart: true });
    const serviceParts = desired.services.map((service) => m.replies.encodeServiceReply(to(1), { spec: service, stats: m.stats.ZERO_COUNTERS }));
    return {
      services: datagramsOf([...serviceParts, m.acks.encodeDone(1, PORT_ID)]),
      destinations: desired.services.map((service, index) =>
        datagramsOf([
          ...service.destinations.map((destination) => m.replies.encodeDestinationReply(to(index + 2), { ...destination, stats: m.types.NO_STATS })),
          m.acks.encodeDone(index + 2, PORT_ID),
        ]),
      ),
    };
  };

  /** What the kernel port's dump() does with those bytes: match the parts to their dump, decode them, build the observed table. */
  const decodeDump = (dump: ReturnType<typeof dumpOf>): IpvsTable<ObservedService> => {
    const parts = (datagrams: Uint8Array[], seq: number): NetlinkMessage[] => m.acks.matchAcks(datagrams, [seq]).outcomes.get(seq)!.replies;
    const services = parts(dump.services, 1).map((part, index) => {
      const entry = m.replies.decodeServiceReply(part);
      if ("rejected" in entry) throw new Error(entry.rejected);
      const decoded = m.replies.decodeDestinationDump(parts(dump.destinations[index]!, index + 2), 4);
      if (decoded.rejected.length > 0) throw new Error(decoded.rejected[0]);
      return m.replies.observedService(entry, decoded.entries);
    });
    return { services };
  };

  /** The kernel's acks (capped: NETLINK_CAP_ACK) to each chunk of a batch: one datagram each, as netlink_ack queues one skb per request. */
  const acksOf = (ops: readonly IpvsOp[]): Uint8Array[][] =>
    [...m.batching.batchChunks(ops.length, encoderOf(ops), 1, LIMITS)].map((chunk) => {
      const answers: Uint8Array[] = [];
      for (let offset = 0; offset < chunk.bytes.length;) {
        const length = m.codec.getU32(chunk.bytes, offset);
        answers.push(m.acks.encodeAck(chunk.bytes.subarray(offset, offset + length), 0, { portId: PORT_ID, capAck: true }));
        offset += m.codec.nlmsgAlign(length);
      }
      return answers;
    });

  /** The ops' requests encoded (in one writer, as the kernel port does) and packed as sendBatch does, then the kernel's acks matched back. */
  const sendAndMatch = (ops: readonly IpvsOp[], acks: readonly Uint8Array[][]): number => {
    let matched = 0;
    let chunkIndex = 0;
    for (const chunk of m.batching.batchChunks(ops.length, encoderOf(ops), 1, LIMITS)) {
      const match = m.acks.matchAcks(acks[chunkIndex++]!, chunk.seqs);
      for (const seq of chunk.seqs) if (match.outcomes.get(seq)?.status === "ok") matched++;
    }
    return matched;
  };

  const virtualServers = m.resolve.resolvePlans(plans).virtualServers;
  const desired = desiredOf(virtualServers)().table;
  const ops = loadOps(plans);
  const acks = acksOf(ops);
  const dump = dumpOf(desired);
  const observed = decodeDump(dump);
  const steady = m.reconcile.reconcile(desired, observed, { owned: new Set() });
  if (steady.length !== 0) throw new Error(`the dumped table should need no ops, got ${steady.length} (first: ${JSON.stringify(steady[0])})`);
  const destinations = desired.services.reduce((sum, service) => sum + service.destinations.length, 0);
  const encode = encoderOf(ops);

  const stages: Stage[] = [
    { name: "resolvePlans", run: () => m.resolve.resolvePlans(plans) },
    { name: "quorum machine start (initialHealth + step)", run: () => desiredOf(virtualServers) },
    { name: "desiredTable", prepare: () => desiredOf(virtualServers), run: (table) => (table as () => unknown)() },
    { name: "reconcile (load: desired vs empty)", run: () => m.reconcile.reconcile(desired, { services: [] }, { owned: new Set() }) },
    {
      name: `encode ${ops.length} requests (add-service + add-destination)`,
      prepare: () => loadOps(plans),
      run: (fresh) => {
        const load = fresh as IpvsOp[];
        const encodeOne = encoderOf(load);
        for (let index = 0; index < load.length; index++) encodeOne(index, index + 1);
      },
    },
    {
      name: "batch: encode + chunk + match acks",
      prepare: () => loadOps(plans),
      run: (fresh) => {
        if (sendAndMatch(fresh as IpvsOp[], acks) !== ops.length) throw new Error("an ack went unmatched");
      },
    },
    { name: `decode dump (${desired.services.length} services, ${destinations} destinations)`, run: () => decodeDump(dump) },
    { name: "reconcile (steady: desired vs observed)", run: () => m.reconcile.reconcile(desired, observed, { owned: new Set() }) },
  ];
  const check = {
    requests: ops.map((_, index) => encode(index, index + 1)),
    dump: [...dump.services, ...dump.destinations.flat()],
    observed: JSON.stringify(observed),
  };
  return { stages: stages.filter((stage) => ONLY === undefined || stage.name.includes(ONLY)), check };
}

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((bytes, i) => Buffer.compare(bytes, b[i]!) === 0);
}

/** Times of each stage's runs, the trees' runs taking turns. */
function measure(stages: Stage[][]): number[][] {
  const times = stages.map(() => [] as number[]);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    stages.forEach((stage, tree) => {
      const prepared = stage[0]!.prepare?.();
      Bun.gc(true);
      const startMs = performance.now();
      stage[0]!.run(prepared);
      const ms = performance.now() - startMs;
      if (i >= WARMUP) times[tree]!.push(ms);
    });
  }
  return times;
}

const trees = [await modulesOf(resolve(import.meta.dir, "../.."))];
if (BEFORE) trees.unshift(await modulesOf(resolve(BEFORE)));
const rows: string[][] = [];
for (const table of [
  { services: 1_000, realServers: 10 },
  { services: 2_000, realServers: 20 },
]) {
  const built = trees.map((m) => stagesOf(m, table));
  if (built.length === 2) {
    const [before, after] = built.map((b) => b.check);
    if (!sameBytes(before!.requests, after!.requests)) throw new Error("the two trees encode different request bytes");
    if (!sameBytes(before!.dump, after!.dump)) throw new Error("the two trees encode different dump bytes");
    if (before!.observed !== after!.observed) throw new Error("the two trees decode different tables");
  }
  for (let index = 0; index < built[0]!.stages.length; index++) {
    const times = measure(built.map((b) => [b.stages[index]!])).map((runs) => summarize(runs)!);
    const label = [`${table.services} x ${table.realServers}`, built[0]!.stages[index]!.name];
    if (times.length === 1) rows.push([...label, times[0]!.median.toFixed(1), times[0]!.min.toFixed(1), times[0]!.max.toFixed(1)]);
    else rows.push([...label, times[0]!.median.toFixed(1), times[1]!.median.toFixed(1), `${(times[0]!.median / times[1]!.median).toFixed(1)}x`]);
  }
}
console.log(`IPVS codec on the host, Bun ${Bun.version}: ${WARMUP} warm-up, median of ${RUNS} runs (ms)${BEFORE ? `; before = ${BEFORE}` : ""}\n`);
console.log(markdownTable(BEFORE ? ["table", "stage", "before", "after", "speed-up"] : ["table", "stage", "median", "min", "max"], rows));
if (BEFORE) console.log("\nBoth trees encode the same request and dump bytes and decode the same table.");
