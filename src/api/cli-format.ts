// Plain-text tables for `tandem state`, `tandem events` and `tandem ipvs`, from the API's JSON. Pure.
import type { GroupView, InstanceView, IpvsView, RealServerIpvsView, VirtualServerIpvsView } from "./ports.ts";
import type { EventPage } from "../store/event.ts";

/** GET /vrrp/state's body, as far as the table needs it. */
export interface StateBody {
  instances: InstanceView[];
  groups?: GroupView[];
}

/** Fixed-width columns; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** "3.2 s ago" style ages, for people reading a terminal. */
export function ago(atMs: number, nowMs: number): string {
  const s = Math.max(0, (nowMs - atMs) / 1000);
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function formatStateTable(body: StateBody, nowMs: number): string {
  const rows = body.instances.map((i) => [
    i.name,
    `${i.state}${i.maintenance ? " (maint)" : ""}${i.held ? " (held)" : ""}`,
    String(i.vrid),
    i.interface,
    `${i.effectivePriority}/${i.basePriority}`,
    [...i.vips, ...i.excludedVips.map((v) => `${v}(excluded)`)].join(" "),
    i.master ? `${i.master.address} (${i.master.priority})` : i.state === "MASTER" ? "us" : "-",
    ago(i.stateSinceMs, nowMs),
    i.trackers
      .filter((t) => !t.healthy)
      .map((t) => `${t.kind}:${t.name}`)
      .join(" ") || "-",
  ]);
  let text = table(["INSTANCE", "STATE", "VRID", "IF", "PRIO", "VIPS", "MASTER", "SINCE", "FAILING"], rows);
  if (body.groups && body.groups.length > 0)
    text +=
      "\n" +
      table(
        ["GROUP", "STATE", "MEMBERS"],
        body.groups.map((g) => [g.name, g.state, g.members.join(" ")]),
      );
  return text;
}

export function formatEventsTable(page: EventPage): string {
  const rows = page.events.map((e) => [String(e.id), new Date(e.atMs).toISOString().replace("T", " ").replace("Z", ""), e.kind, e.instance ?? "-", e.summary]);
  return table(["ID", "TIME (UTC)", "KIND", "INSTANCE", "SUMMARY"], rows) + (page.nextCursor ? `(more: --cursor ${page.nextCursor})\n` : "");
}

/** ipvsadm's names for the forwarding methods. */
const IPVSADM_FORWARD: Record<RealServerIpvsView["forward"], string> = { NAT: "Masq", DR: "Route", TUN: "Tunnel" };

/** "TCP  10.0.0.1:80 wrr persistent 300", as ipvsadm -Ln heads a service; a group names its members. */
function virtualServerLine(vs: VirtualServerIpvsView): string {
  const flags = vs.flags.map((f) => (f === "persistent" ? `persistent ${vs.persistenceTimeoutS}` : f));
  const serviceText = (service: string) => service.replace(/^(\S+) /, "$1  ").replace(/^(FWM {2}\d+) IPv4$/, "$1");
  const head = vs.services.length === 1 && vs.services[0] === vs.id ? serviceText(vs.id) : `${vs.id} (${vs.services.join(", ")})`;
  return [head, vs.scheduler, ...flags].join(" ");
}

/** What the director says beside ipvsadm's columns: health, why, and any drain. */
function healthText(rs: RealServerIpvsView, nowMs: number): string {
  const parts = [rs.alive ? "alive" : "failed"];
  if (rs.slowStart) parts.push(`slow start to weight ${rs.slowStart.weight} (${Math.max(0, Math.ceil((rs.slowStart.untilMs - nowMs) / 1000))} s left)`);
  else if (rs.reason !== "alive" && rs.reason !== "failed") parts.push(rs.reason);
  // Which checker failed it, and what it saw.
  for (const c of rs.checkers ?? []) if (c.state === "down") parts.push(`${c.id}: ${c.lastChange?.text ?? "down"}`);
  if (rs.drained && rs.reason !== "drained") parts.push("drained");
  if (rs.draining) parts.push(`draining (${rs.draining.cause}, ${Math.max(0, Math.ceil((rs.draining.deadlineMs - nowMs) / 1000))} s left)`);
  return parts.join(", ");
}

/** Quorum and sorry server, said only when they change what the kernel serves. */
function virtualServerNotes(vs: VirtualServerIpvsView): string[] {
  const notes: string[] = [];
  if (!vs.quorum.up) notes.push(`  ! quorum lost: live weight ${vs.quorum.liveWeight} < quorum ${vs.quorum.quorum} (hysteresis ${vs.quorum.hysteresis})`);
  if (vs.sorryServer?.active) notes.push(`  ! sorry server ${vs.sorryServer.address}:${vs.sorryServer.port} in place of the real servers`);
  return notes;
}

/** `tandem ipvs`: ipvsadm -Ln's table (Weight is the kernel's), with the desired weight and health beside it. */
export function formatIpvsTable(view: IpvsView, nowMs: number): string {
  const lines: string[] = [];
  if (!view.available) lines.push(`IPVS director unavailable: ${view.reason ?? "no reason given"} (VRRP and the checks run on)`);
  else if (view.lastApply) {
    const a = view.lastApply;
    lines.push(
      `Last apply ${ago(a.atMs, nowMs)} (${a.cause}): ${a.writes} write(s), ${a.failures} failed, ${a.durationMs} ms; ${view.driftRepairs} drift repair(s)`,
    );
  }
  lines.push("Prot LocalAddress:Port Scheduler Flags");
  const destination = (cells: readonly string[]) =>
    `  -> ${cells[0]!.padEnd(28)} ${cells[1]!.padEnd(7)} ${cells[2]!.padEnd(6)} ${cells[3]!.padEnd(10)} ${cells[4]!.padEnd(10)} ${cells[5]!.padEnd(7)} ${cells[6]}`;
  lines.push(destination(["RemoteAddress:Port", "Forward", "Weight", "ActiveConn", "InActConn", "Desired", "Health"]));
  for (const vs of view.virtualServers) {
    lines.push(virtualServerLine(vs), ...virtualServerNotes(vs));
    for (const rs of vs.realServers) {
      const weight = (w: number | undefined) => (w === undefined ? "-" : String(w));
      const counts = rs.kernelWeight === undefined ? ["-", "-"] : [String(rs.activeConnections), String(rs.inactiveConnections)];
      lines.push(
        destination([rs.id, IPVSADM_FORWARD[rs.forward], weight(rs.kernelWeight), counts[0]!, counts[1]!, weight(rs.desiredWeight), healthText(rs, nowMs)]),
      );
    }
  }
  if (view.foreignServices.length > 0) lines.push(`Not tandem's (never touched): ${view.foreignServices.join(", ")}`);
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}
