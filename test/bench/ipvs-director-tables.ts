// The tables the IPVS director benchmark programs (ipvs-director-program.ts): N TCP virtual
// services of M NAT real servers each, as keepalived.conf (for tandem and keepalived) and as
// `ipvsadm -R` rules, and the 1 % of real servers a reload re-weights. Pure values.

export interface BenchTable {
  services: number;
  realServers: number;
}

/** Service i: 10.1.x.y:80 (up to 65,536 of them). */
export const vipOf = (i: number): string => `10.1.${(i >> 8) & 255}.${i & 255}`;
/** Real server j of service i: its own address in 172.16.0.0/12, so no two destinations share one. */
export function realServerOf(table: BenchTable, i: number, j: number): string {
  const k = i * table.realServers + j;
  return `172.${16 + ((k >> 16) & 15)}.${(k >> 8) & 255}.${k & 255}`;
}

/** Every 100th destination (1 %) is changed by the reload. */
export const isChanged = (table: BenchTable, i: number, j: number): boolean => (i * table.realServers + j) % 100 === 0;

/** 1..5, and 10 more where the reload changes it. */
export const weightOf = (table: BenchTable, i: number, j: number, reloaded: boolean): number => 1 + (j % 5) + (reloaded && isChanged(table, i, j) ? 10 : 0);

export function changedCount(table: BenchTable): number {
  let count = 0;
  for (let i = 0; i < table.services; i++) for (let j = 0; j < table.realServers; j++) if (isChanged(table, i, j)) count++;
  return count;
}

/** The last destination, in the file's order, that the reload changes: keepalived writes in that order. */
export function lastChanged(table: BenchTable): { i: number; j: number } {
  for (let i = table.services - 1; i >= 0; i--) for (let j = table.realServers - 1; j >= 0; j--) if (isChanged(table, i, j)) return { i, j };
  throw new Error("no destination changes");
}

/** keepalived.conf: global_defs and the virtual servers (no checkers: every real server counts as alive, as keepalived does). */
export function keepalivedConf(table: BenchTable, reloaded = false): string {
  const parts = ["global_defs {\n  router_id bench\n}\n"];
  for (let i = 0; i < table.services; i++) {
    parts.push(`virtual_server ${vipOf(i)} 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n`);
    for (let j = 0; j < table.realServers; j++)
      parts.push(`  real_server ${realServerOf(table, i, j)} 80 {\n    weight ${weightOf(table, i, j, reloaded)}\n  }\n`);
    parts.push("}\n");
  }
  return parts.join("");
}

/** The same table as `ipvsadm -R` reads it (ipvsadm -S's form). */
export function ipvsadmRules(table: BenchTable): string {
  const lines: string[] = [];
  for (let i = 0; i < table.services; i++) {
    lines.push(`-A -t ${vipOf(i)}:80 -s wrr`);
    for (let j = 0; j < table.realServers; j++) lines.push(`-a -t ${vipOf(i)}:80 -r ${realServerOf(table, i, j)}:80 -m -w ${weightOf(table, i, j, false)}`);
  }
  return lines.join("\n") + "\n";
}
