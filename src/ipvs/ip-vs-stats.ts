// /proc/net/ip_vs_stats: the kernel's IPVS counters since boot over every service (ip_vs_ctl.c
// ip_vs_stats_show). Two header lines, then the totals as "%8LX %8LX %8LX %16LX %16LX" (conns,
// incoming packets, outgoing packets, incoming bytes, outgoing bytes, in hex), a blank line,
// and the estimator's rates. The kernel's estimator folds the per-CPU counters into these every
// 2 s, so they lag by up to that much. Pure.

export interface IpvsTotals {
  connections: number;
  incomingPackets: number;
  outgoingPackets: number;
  incomingBytes: number;
  outgoingBytes: number;
}

/** The totals, or undefined for a text that is not the kernel's format (the file's third line, five hex fields). */
export function parseIpVsStats(text: string): IpvsTotals | undefined {
  const lines = text.split("\n");
  if (!/^\s*Total\b/.test(lines[0] ?? "") || !/^\s*Conns\b/.test(lines[1] ?? "")) return undefined;
  const fields = (lines[2] ?? "").trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => /^[0-9A-Fa-f]{1,16}$/.test(f))) return undefined;
  // Counters are u64; a Number is exact up to 2^53 (8 PiB), past which it rounds, as JSON would anyway.
  const [connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes] = fields.map((f) => Number(BigInt(`0x${f}`))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes };
}
