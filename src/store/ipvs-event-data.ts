// The director's history records (ipvs.*): what it changed in the kernel and why, one typed
// `data` per kind, part of event.ts's EventDataByKind. The event's `instance` is the virtual
// server's id ("TCP 10.0.0.1:80", as GET /ipvs/state names it), or the VRRP instance the
// sync daemon follows, so /events?instance= finds a virtual server's story.

/** Why the director changed a real server (ipvs/director-types.ts ChangeCause). */
export type IpvsChangeCause = "check" | "reload" | "drain" | "quorum" | "start" | "stop";

export interface IpvsEventDataByKind {
  /** A health checker's verdict changed its state (or was its first): which checker, and what its check saw. */
  "ipvs.checker": {
    virtualServer: string;
    realServer: string;
    /** "HTTP_GET#0": its kind and its place among the real server's checkers of that kind. */
    checker: string;
    state: "up" | "down";
    /** The first verdict since it started (then the state may be its initial one). */
    first: boolean;
    /** What the deciding check saw: "status 503; expected 200-299", "connection refused". */
    reason: string;
    /** How long the deciding check took. */
    durationMs: number;
    /** The failures counted before this verdict (retry). */
    retries: number;
  };
  /** A real server entered or left the kernel's table, or its weight changed there. */
  "ipvs.real-server": {
    virtualServer: string;
    /** "10.0.1.2:80", the real server's id within its virtual server. */
    realServer: string;
    change: "added" | "removed" | "re-weighted";
    cause: IpvsChangeCause;
    /** The weight before and after (absent where the server was not, or is no longer, in the table). */
    fromWeight?: number;
    toWeight?: number;
    /** e.g. "HTTP_GET on 10.0.1.2:80 failed: connection refused". */
    detail: string;
  };
  /** The sum of live weights crossed quorum (with its hysteresis). */
  "ipvs.quorum": { virtualServer: string; state: "lost" | "regained"; liveWeight: number; quorum: number; hysteresis: number };
  /** The sorry server took the place of the real servers, or gave it back. */
  "ipvs.sorry-server": { virtualServer: string; state: "in" | "out"; sorryServer: string };
  /** A graceful removal: held at weight 0 until its connections end (ipvs/drain.ts). */
  "ipvs.drain": {
    virtualServer: string;
    realServer: string;
    state: "started" | "finished" | "cancelled";
    /** Drained by the operator, or removed from the configuration. */
    cause: "operator" | "removed";
    /** started: when it is removed at the latest (wall-clock ms). */
    deadlineMs?: number;
    /** finished: its connections reached 0, the deadline passed, at once (UDP, ops), or it was gone from the kernel. */
    how?: "connections-zero" | "timeout" | "immediate" | "gone";
    /** cancelled: undrained by the operator, back in the configuration, or no longer desired at all. */
    why?: "undrained" | "back-in-config" | "not-desired";
    /** Active + inactive connections when it ended. */
    connections?: number;
  };
  /** A drift scan found the kernel changed behind tandem's back and put it right. */
  "ipvs.drift-repaired": {
    /** Writes the repair took. */
    ops: number;
    /** What was repaired, e.g. "restored destination 10.0.1.2:80 of TCP 10.0.0.1:80"; at most 20, `ops` counts them all. */
    what: string[];
  };
  /** One batch of writes to the kernel. */
  "ipvs.apply": {
    /** "start", "reload", "check", "drain", "drift", "stop". */
    cause: string;
    writes: number;
    failures: number;
    /** The writes' time; before them, the pass read the kernel (readMs) and planned the writes (planMs; both absent in older records). */
    durationMs: number;
    readMs?: number;
    planMs?: number;
    /** The failures' errors, e.g. "EINVAL: add destination 10.0.1.2:80 to TCP 10.0.0.1:80"; at most 20. */
    errors?: string[];
  };
  /** The kernel's connection-sync daemon (lvs_sync_daemon), following a VRRP instance. */
  "ipvs.sync-daemon": { state: "master" | "backup" | "stopped"; interface: string; syncId: number; ok: boolean; detail: string };
  /** ipvs_set_sysctls: the sysctls the preflight set (from what it read) and those the kernel refused. */
  "ipvs.sysctl": { changes: { name: string; from: number; to: number }[]; failures: { name: string; reason: string }[] };
  /** Whether the director can program the kernel (no IPVS in this kernel, netlink refused, ...). */
  "ipvs.director": { available: boolean; reason?: string };
}
