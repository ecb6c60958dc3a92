// A director's view for API, metrics, page and CLI tests: box A of the seed pair balancing
// four virtual servers (TCP behind VI_1's .41 with a failed and a drained real server and a
// sorry server, a fwmark service, an IPv6 one slow-starting, and a two-member group), all in the kernel.
import type { IpvsView, RealServerIpvsView } from "../../../src/api/ports.ts";

type RealServerFacts = Partial<RealServerIpvsView> & Pick<RealServerIpvsView, "address" | "port">;

function realServer(facts: RealServerFacts): RealServerIpvsView {
  const hostPort = facts.address.includes(":") ? `[${facts.address}]:${facts.port}` : `${facts.address}:${facts.port}`;
  return {
    id: hostPort,
    forward: "NAT",
    configuredWeight: 1,
    desiredWeight: facts.configuredWeight ?? 1,
    kernelWeight: facts.configuredWeight ?? 1,
    alive: true,
    drained: false,
    reason: "alive",
    activeConnections: 0,
    inactiveConnections: 0,
    connectionsPerSecond: 0,
    bytesInPerSecond: 0,
    bytesOutPerSecond: 0,
    ...facts,
  };
}

export function seedIpvsView(nowMs: number): IpvsView {
  return {
    available: true,
    virtualServers: [
      {
        id: "TCP 10.99.0.41:80",
        services: ["TCP 10.99.0.41:80"],
        scheduler: "wrr",
        flags: [],
        persistenceTimeoutS: 0,
        quorum: { up: true, quorum: 2, hysteresis: 1, liveWeight: 3 },
        sorryServer: { address: "10.99.2.9", port: 80, active: false },
        realServers: [
          realServer({ address: "10.99.1.1", port: 80, activeConnections: 12, inactiveConnections: 40, connectionsPerSecond: 3, bytesInPerSecond: 9000 }),
          realServer({ address: "10.99.1.2", port: 80, configuredWeight: 2, activeConnections: 20, inactiveConnections: 7, connectionsPerSecond: 5 }),
          realServer({
            address: "10.99.1.3",
            port: 80,
            desiredWeight: 0,
            kernelWeight: 0,
            alive: false,
            reason: "inhibited",
            lastChange: { atMs: nowMs - 30_000, cause: "check", detail: "HTTP_GET on 10.99.1.3:80 failed: connection refused" },
            checkers: [
              {
                id: "HTTP_GET#0",
                kind: "HTTP_GET",
                state: "down",
                up: false,
                retries: 0,
                lastChange: { ok: false, text: "connection refused", atMs: nowMs - 30_000, durationMs: 1 },
                stats: {
                  checks: 40,
                  failures: 6,
                  failuresByClass: { refused: 5, timeout: 1 },
                  flaps: 3,
                  latencyMs: { p50: 1.5, p99: 3000, samples: 40 },
                  bucketCounts: [10, 30, 33, 33, 33, 33, 33, 33, 33, 39, 40, 40],
                  durationSumMs: 3450,
                },
              },
            ],
          }),
          realServer({
            address: "10.99.1.4",
            port: 80,
            desiredWeight: 0,
            kernelWeight: 0,
            drained: true,
            draining: { cause: "operator", sinceMs: nowMs - 60_000, deadlineMs: nowMs + 240_000 },
            reason: "drained",
            activeConnections: 3,
            inactiveConnections: 1,
            lastChange: { atMs: nowMs - 60_000, cause: "drain", detail: "drained by 10.99.0.200" },
          }),
        ],
      },
      {
        id: "FWM 7 IPv4",
        services: ["FWM 7 IPv4"],
        scheduler: "sh",
        flags: ["persistent", "sh-port"],
        persistenceTimeoutS: 300,
        quorum: { up: true, quorum: 1, hysteresis: 0, liveWeight: 5 },
        realServers: [realServer({ address: "10.99.1.5", port: 0, forward: "DR", configuredWeight: 5, activeConnections: 2 })],
      },
      {
        id: "TCP [2001:db8::41]:443",
        services: ["TCP [2001:db8::41]:443"],
        scheduler: "rr",
        flags: [],
        persistenceTimeoutS: 0,
        quorum: { up: true, quorum: 1, hysteresis: 0, liveWeight: 3 },
        realServers: [
          // Back from a failure 2 s ago: its weight ramps up to 3 over its 10 s slowstart.
          realServer({
            address: "2001:db8::1:6",
            port: 443,
            forward: "TUN",
            configuredWeight: 3,
            desiredWeight: 1,
            kernelWeight: 1,
            reason: "slow-start",
            slowStart: { sinceMs: nowMs - 2_000, untilMs: nowMs + 8_000, weight: 3 },
            activeConnections: 1,
            inactiveConnections: 2,
          }),
        ],
      },
      {
        id: "group dns UDP",
        services: ["UDP 10.99.0.51:53", "UDP 10.99.0.52:53"],
        scheduler: "rr",
        flags: ["ops"],
        persistenceTimeoutS: 0,
        quorum: { up: true, quorum: 1, hysteresis: 0, liveWeight: 1 },
        realServers: [realServer({ address: "10.99.1.7", port: 53, inactiveConnections: 9 })],
      },
    ],
    foreignServices: ["TCP 10.99.0.99:22"],
    lastApply: { atMs: nowMs - 5_000, cause: "check", writes: 1, failures: 0, durationMs: 1.5 },
    driftRepairs: 2,
    checkScheduler: {
      probes: 4,
      running: 1,
      maxConcurrent: 9872,
      backlog: 0,
      oldestWaitMs: 0,
      overdue: 0,
      started: 812,
      skipped: 0,
      startLatenessMs: { p50: 0.4, p99: 7, max: 12, samples: 812 },
      loopLagMs: { p50: 0.2, p99: 3, max: 5, samples: 600 },
    },
    totals: { connections: 1234, incomingPackets: 56789, outgoingPackets: 43210, incomingBytes: 9_876_543, outgoingBytes: 123_456_789 },
    preflight: {
      version: "1.2.1",
      connectionTableSize: 4096,
      sysctls: [
        {
          name: "net.ipv4.ip_forward",
          value: 1,
          wanted: 1,
          reason: "NAT real servers reply through the director (their gateway), so it must forward their packets (IPv4)",
          ok: true,
        },
        {
          name: "net.ipv4.vs.expire_nodest_conn",
          value: 0,
          wanted: 1,
          reason: "a deleted real server's connections are expired instead of their packets being dropped until the timeout",
          ok: false,
        },
      ],
      setSysctls: false,
      checkedAtMs: nowMs - 60_000,
    },
    observedAtMs: nowMs - 1_000,
  };
}
