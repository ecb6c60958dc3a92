// Plain-text tables for `tandem state` and `tandem events`, from the API's JSON. Pure.
import type { GroupView, InstanceView } from "./ports.ts";
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
    `${i.state}${i.maintenance ? " (maint)" : ""}`,
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
