// How late the checks start, seen from the wire: a capture of the checker's SYNs and of the
// FIN or RST that ends each of its connections, for a sample of the real servers. A checker
// with delay_loop D starts its next check D after its last one ended (keepalived's rule, the
// probe scheduler's "after-end" cadence), so for one real server
//   lag = SYN of check k - end of check k-1 - D
// is the scheduler's lateness plus what the probe spends before its connect(): what an
// operator sees as a late check. tandem does not publish its scheduler's own lateness
// (check/probe-scheduler.ts health() is called by nobody), hence this measurement.

export interface TcpEvent {
  tMs: number;
  dst: string;
  dport: number;
  sport: number;
  syn: boolean;
  /** FIN or RST from the checker. */
  end: boolean;
}

/** The TCP segments of a classic pcap file (Ethernet, IPv4); anything else is skipped. */
export function tcpEvents(buf: Uint8Array): TcpEvent[] {
  const out: TcpEvent[] = [];
  if (buf.length < 24) return out;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = (le ? magic : dv.getUint32(0, false)) === 0xa1b23c4d;
  let off = 24;
  while (off + 16 <= buf.length) {
    const tMs = dv.getUint32(off, le) * 1000 + dv.getUint32(off + 4, le) / (nanos ? 1e6 : 1e3);
    const length = dv.getUint32(off + 8, le);
    off += 16;
    if (off + length > buf.length) break;
    const frame = buf.subarray(off, off + length);
    off += length;
    if (frame.length < 14 + 20 || frame[12] !== 0x08 || frame[13] !== 0x00) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 6 || ip.length < ihl + 14) continue;
    const tcp = ip.subarray(ihl);
    const flags = tcp[13]!;
    out.push({
      tMs,
      dst: `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`,
      sport: (tcp[0]! << 8) | tcp[1]!,
      dport: (tcp[2]! << 8) | tcp[3]!,
      syn: (flags & 0x12) === 0x02,
      end: (flags & 0x05) !== 0,
    });
  }
  return out;
}

/** The lag of every check after the first of each real server in the capture, ms. */
export function checkLags(events: readonly TcpEvent[], delayLoopMs: number): number[] {
  return lateChecks(events, delayLoopMs).map((check) => check.lagMs);
}

/** Each such check: when its SYN left (wall ms) and how late it was. */
export function lateChecks(events: readonly TcpEvent[], delayLoopMs: number): { atMs: number; lagMs: number }[] {
  const byServer = new Map<string, TcpEvent[]>();
  for (const event of events) {
    const key = `${event.dst}:${event.dport}`;
    let list = byServer.get(key);
    if (!list) byServer.set(key, (list = []));
    list.push(event);
  }
  const lags: { atMs: number; lagMs: number }[] = [];
  for (const list of byServer.values()) {
    list.sort((a, b) => a.tMs - b.tMs);
    // The connection under way and when the checker ended it. A closed port may be taken again
    // by a later check of the same server (a RST leaves no TIME_WAIT): a SYN opens a new one.
    let open: { sport: number; endedAt?: number } | undefined;
    for (const event of list) {
      if (event.syn) {
        // A retransmitted SYN is the same connection: not a new check.
        if (open && open.sport === event.sport && open.endedAt === undefined) continue;
        if (open?.endedAt !== undefined) lags.push({ atMs: event.tMs, lagMs: event.tMs - open.endedAt - delayLoopMs });
        open = { sport: event.sport };
      } else if (event.end && open && open.sport === event.sport && open.endedAt === undefined) {
        // The first end: a FIN may be followed by a RST.
        open.endedAt = event.tMs;
      }
    }
  }
  return lags;
}

/** Nearest-rank percentile of unsorted values (p in (0, 100]). */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}
