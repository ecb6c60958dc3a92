// An IPVS table (desired or observed) as `ipvsadm -S -n` prints it, byte for byte as ipvsadm
// 1.31 (ipvsadm.c print_service_entry and print_tunnel_rule with FMT_RULE): the rules that
// `ipvsadm -R` would read back. Thresholds are not among them: ipvsadm -S leaves them out.
// Plus a normaliser, so two tables can be compared whatever order they were printed in. Pure.
import {
  addressPortText,
  asInt32,
  forwardSwitch,
  hasSchedulerFlags,
  inIpvsadmOrder,
  isFullNetmask,
  netmaskText,
  schedulerFlagsText,
  type PrintableDestination,
  type PrintableService,
} from "./ipvsadm-text.ts";
import type { ServiceKey } from "./types.ts";

export interface IpvsadmSaveOptions {
  /**
   * Services and destinations in the order given (the kernel's hash order for a dump). ipvsadm
   * itself refuses --nosort with -S; for tandem's own printouts.
   */
  noSort?: boolean;
}

/** `ipvsadm -S -n`: one `-A` line per service, then an `-a` line per destination; "" for an empty table. */
export function ipvsadmSave(table: { services: readonly PrintableService[] }, options: IpvsadmSaveOptions = {}): string {
  const lines: string[] = [];
  for (const service of inIpvsadmOrder(table.services, !options.noSort)) {
    const name = serviceRuleName(service.key);
    lines.push(`-A ${name} -s ${service.scheduler}${serviceOptions(service)}`);
    for (const destination of service.destinations) lines.push(destinationRule(name, destination));
  }
  return lines.map((line) => `${line}\n`).join("");
}

/** "-t 10.0.0.1:80", "--sctp-service [2001:db8::1]:80", "-f 7 -6". */
function serviceRuleName(key: ServiceKey): string {
  if (key.kind === "fwmark") return `-f ${asInt32(key.fwmark)}${key.family === 6 ? " -6" : ""}`;
  const option = key.protocol === "TCP" ? "-t" : key.protocol === "UDP" ? "-u" : "--sctp-service";
  return `${option} ${addressPortText(key.address, key.port)}`;
}

function serviceOptions(service: PrintableService): string {
  let text = "";
  if (service.flags.persistent) {
    text += ` -p ${service.timeoutS}`;
    const family = service.key.kind === "fwmark" ? service.key.family : service.key.address.family;
    if (!isFullNetmask(service)) text += ` -M ${family === 4 ? netmaskText(service.netmask) : service.netmask}`;
  }
  if (service.persistenceEngine) text += ` --pe ${service.persistenceEngine}`;
  if (service.flags.onePacket) text += " -o";
  // print_sched_flags may name none of the bits set (flag-3 under sh): ipvsadm still prints "-b ".
  if (hasSchedulerFlags(service)) text += ` -b ${schedulerFlagsText(service)}`;
  return text;
}

function destinationRule(serviceName: string, destination: PrintableDestination): string {
  const head = `-a ${serviceName} -r ${addressPortText(destination.address, destination.port)} ${forwardSwitch(destination.forward)} -w ${destination.weight}`;
  if (destination.forward !== "tunnel") return head;
  // The kernel reports IPIP, no port, no checksum for a tunnel it was given no options for.
  const tunnel = destination.tunnel ?? { type: "ipip", port: 0, checksum: "nocsum" };
  const checksum = `--tun-${tunnel.checksum}`;
  if (tunnel.type === "gre") return `${head} --tun-type gre ${checksum}`;
  if (tunnel.type === "gue") return `${head} --tun-type gue --tun-port ${tunnel.port} ${checksum}`;
  return `${head} --tun-type ipip`;
}

/**
 * `ipvsadm -S -n` text with each service's destinations sorted and the services sorted by
 * their lines, blank lines dropped: equal tables give equal text whatever order printed them.
 */
export function sortedIpvsadmSave(text: string): string {
  const services: { line: string; destinations: string[] }[] = [];
  const stray: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "") continue;
    if (line.startsWith("-A ")) services.push({ line, destinations: [] });
    else if (line.startsWith("-a ") && services.length > 0) services.at(-1)!.destinations.push(line);
    else stray.push(line);
  }
  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const blocks = services.map((s) => [s.line, ...s.destinations.sort(byText)].join("\n")).sort(byText);
  return [...stray.sort(byText), ...blocks].map((block) => `${block}\n`).join("");
}
