// Test helper: the tables keepalived 2.2.7 programmed in a guest from the configurations in
// test/fixtures/ipvs/keepalived (capture-tables.ts), by section ("start (ipvsadm -S -n)"),
// and the same configuration taken through tandem's front end and director to the same printouts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planVirtualServers } from "../../../../src/ipvs/plan-virtual-servers.ts";
import type { VirtualServerPlan } from "../../../../src/ipvs/virtual-server-plan.ts";
import { parseText } from "../../config/helpers.ts";

export const KEEPALIVED_FIXTURES = join(import.meta.dir, "../../../fixtures/ipvs/keepalived");

/** Section title -> its lines as printed, each ending in a newline. */
export function keepalivedTables(name: string): Map<string, string> {
  const text = readFileSync(join(KEEPALIVED_FIXTURES, `${name}.tables`), "utf8");
  const sections = new Map<string, string>();
  let title: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^=== SECTION (.*)$/.exec(line);
    if (head) {
      title = head[1]!;
      sections.set(title, "");
    } else if (title && line !== "") sections.set(title, sections.get(title)! + `${line}\n`);
  }
  return sections;
}

export function keepalivedConfig(name: string): string {
  return readFileSync(join(KEEPALIVED_FIXTURES, `${name}.conf`), "utf8");
}

/** keepalived.conf text -> the director's plans; throws on what the front end refuses. */
export function plansOf(text: string): VirtualServerPlan[] {
  const parsed = parseText(text);
  if (!parsed.config) throw new Error(`the configuration does not parse:\n${parsed.errors.join("\n")}`);
  return planVirtualServers(parsed.config);
}

/** An `ipvsadm -L -n` printout with each service's destinations sorted and the services sorted: order aside. */
export function sortedListing(text: string): string {
  const head: string[] = [];
  const services: string[][] = [];
  for (const line of text.split("\n").filter(Boolean)) {
    if (line.startsWith("  -> ") && services.length > 0 && !line.startsWith("  -> RemoteAddress")) services.at(-1)!.push(line);
    else if (/^(TCP|UDP|SCTP|FWM) /.test(line)) services.push([line]);
    else head.push(line);
  }
  const blocks = services.map(([service, ...destinations]) => [service!, ...destinations.sort()].join("\n")).sort();
  return [...head, ...blocks].join("\n");
}
