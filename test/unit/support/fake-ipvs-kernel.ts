// An in-memory IPVS table that answers the director's ops as net/netfilter/ipvs/ip_vs_ctl.c
// answers the generic-netlink requests they encode to (ip_vs_genl_set_cmd and the functions
// it calls), errno for errno and check for check in the kernel's order; it counts writes and
// dumps like IPVS_CMD_GET_SERVICE/GET_DEST (destinations newest first, as list_add_rcu keeps them).
import type { IpvsErrno, IpvsOp, IpvsOpResult } from "../../../src/ipvs/ops.ts";
import {
  destinationText,
  serviceFamily,
  NO_STATS,
  serviceKeyText,
  type DestinationAddress,
  type DestinationSpec,
  type IpvsTable,
  type ObservedDestination,
  type ObservedService,
  type ServiceKey,
  type ServiceSpec,
} from "../../../src/ipvs/types.ts";
import { ipAddressBytes, type IpAddress } from "../../../src/common/ip-address.ts";
import type { IpvsKernelPort } from "../../../src/ipvs/director.ts";

/** The schedulers of the appliance's kernel (ip_vs_*.ko), and the persistence engines (ip_vs_pe_*.ko). */
export const KERNEL_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"] as const;
export const KERNEL_PERSISTENCE_ENGINES = ["sip"] as const;

export interface FakeIpvsKernelOptions {
  schedulers?: readonly string[];
  persistenceEngines?: readonly string[];
  /** false: a kernel without CONFIG_IP_VS_IPV6 (ip_vs_is_af_valid refuses AF_INET6). */
  ipv6?: boolean;
}

export interface AppliedOp {
  op: IpvsOp;
  result: IpvsOpResult;
}

interface KernelService {
  spec: ServiceSpec;
  /** Oldest first; dump() reverses, as the kernel's list_add_rcu puts new ones at the head. */
  destinations: Map<string, ObservedDestination>;
}

export class FakeIpvsKernel {
  /** Requests received (each op is one), failed ones included. */
  writes = 0;
  readonly applied: AppliedOp[] = [];
  private readonly services = new Map<string, KernelService>();
  private readonly schedulers: ReadonlySet<string>;
  private readonly engines: ReadonlySet<string>;
  private readonly ipv6: boolean;

  /** Starts holding `initial` as it is (foreign entries need not be what tandem would write). */
  constructor(initial: IpvsTable<ObservedService> = { services: [] }, options: FakeIpvsKernelOptions = {}) {
    this.schedulers = new Set(options.schedulers ?? KERNEL_SCHEDULERS);
    this.engines = new Set(options.persistenceEngines ?? KERNEL_PERSISTENCE_ENGINES);
    this.ipv6 = options.ipv6 ?? true;
    for (const service of initial.services) {
      const { destinations, ...spec } = structuredClone(service);
      this.services.set(serviceKeyText(service.key), { spec, destinations: new Map([...destinations].reverse().map((d) => [destinationText(d), d])) });
    }
  }

  /** The whole table, as a copy: services in creation order, each one's destinations newest first. */
  dump(): IpvsTable<ObservedService> {
    return {
      services: [...this.services.values()].map((s) => structuredClone({ ...s.spec, destinations: [...s.destinations.values()].reverse() })),
    };
  }

  /** Just these services, as dump() has them; one it does not have is left out (GET_SERVICE's ESRCH). */
  dumpServices(keys: readonly ServiceKey[]): IpvsTable<ObservedService> {
    const wanted = new Set(keys.map(serviceKeyText));
    return { services: this.dump().services.filter((s) => wanted.has(serviceKeyText(s.key))) };
  }

  /** The director's port onto this kernel. */
  port(): IpvsKernelPort {
    return { dump: async () => this.dump(), dumpServices: async (keys) => this.dumpServices(keys), apply: async (ops) => this.apply(ops) };
  }

  /** Each op is its own request with its own ack, as in a batch: one failing does not stop the rest. */
  apply(ops: readonly IpvsOp[]): IpvsOpResult[] {
    return ops.map((op) => {
      this.writes++;
      const result = this.applyOne(op);
      this.applied.push({ op: structuredClone(op), result });
      return result;
    });
  }

  /** What traffic would do: set a destination's connection counters. */
  setConnections(service: ServiceKey, destination: DestinationAddress, active: number, inactive: number): void {
    const found = this.services.get(serviceKeyText(service))?.destinations.get(destinationText(destination));
    if (!found) throw new Error(`no ${destinationText(destination)} in ${serviceKeyText(service)}`);
    found.stats = { ...found.stats, activeConnections: active, inactiveConnections: inactive };
  }

  private applyOne(op: IpvsOp): IpvsOpResult {
    // ip_vs_genl_parse_service: the family must be one the kernel has.
    const key = op.kind === "add-service" || op.kind === "set-service" ? op.service.key : op.kind === "delete-service" ? op.key : op.service;
    if (serviceFamily(key) === 6 && !this.ipv6) return fail("EAFNOSUPPORT", "this kernel has no IPv6 IPVS");
    const text = serviceKeyText(key);
    const service = this.services.get(text);
    if (op.kind === "add-service") {
      if (service) return fail("EEXIST", `${text} exists`);
      const refused = this.checkServiceAttributes(op.service);
      if (refused) return refused;
      this.services.set(text, { spec: structuredClone(op.service), destinations: new Map() });
      return { ok: true };
    }
    // "Unless we're adding a new service, the service must already exist."
    if (!service) return fail("ESRCH", `no service ${text}`);
    switch (op.kind) {
      case "set-service": {
        const refused = this.checkServiceAttributes(op.service);
        if (refused) return refused;
        service.spec = structuredClone(op.service);
        return { ok: true };
      }
      case "delete-service":
        this.services.delete(text);
        return { ok: true };
      case "add-destination":
      case "set-destination":
        return this.writeDestination(service, op.destination, op.kind === "add-destination");
      case "delete-destination": {
        const destination = destinationText(op.destination);
        if (!service.destinations.delete(destination)) return fail("ENOENT", `no destination ${destination} in ${text}`);
        return { ok: true };
      }
    }
  }

  /** ip_vs_add_service / ip_vs_edit_service: the scheduler and engine modules, then the IPv6 prefix length. */
  private checkServiceAttributes(spec: ServiceSpec): IpvsOpResult | undefined {
    if (spec.scheduler !== "none" && !this.schedulers.has(spec.scheduler)) return fail("ENOENT", `Scheduler module ip_vs_${spec.scheduler} not found`);
    if (spec.persistenceEngine && !this.engines.has(spec.persistenceEngine))
      return fail("ENOENT", `persistence engine module ip_vs_pe_${spec.persistenceEngine} not found`);
    if (serviceFamily(spec.key) === 6 && (spec.netmask < 1 || spec.netmask > 128)) return fail("EINVAL", `IPv6 prefix length ${spec.netmask} is not 1..128`);
    return undefined;
  }

  /** ip_vs_genl_set_cmd's family checks, then ip_vs_add_dest / ip_vs_edit_dest (and ip_vs_new_dest's address check). */
  private writeDestination(service: KernelService, destination: DestinationSpec, add: boolean): IpvsOpResult {
    const text = destinationText(destination);
    if (destination.address.family === 6 && !this.ipv6) return fail("EAFNOSUPPORT", "this kernel has no IPv6 IPVS");
    // Mixed families: only a tunnel can carry a v4 packet to a v6 server or back.
    if (destination.address.family !== serviceFamily(service.spec.key) && destination.forward !== "tunnel") {
      return fail("EINVAL", `${text} is of another family than ${serviceKeyText(service.spec.key)} and only a tunnel can mix them`);
    }
    // The kernel reads the u32 weight into an int: 2^31 and above arrive negative.
    if (destination.weight < 0 || destination.weight > 0x7fffffff) return fail("ERANGE", "server weight less than zero");
    if (destination.lowerThreshold > destination.upperThreshold) return fail("ERANGE", "lower threshold is higher than upper threshold");
    if (destination.forward === "tunnel" && destination.tunnel?.type === "gue" && destination.tunnel.port === 0) return fail("EINVAL", "tunnel port is zero");
    const current = service.destinations.get(text);
    if (add) {
      if (current) return fail("EEXIST", `dest ${text} already exists`);
      if (!isUnicast(destination.address)) return fail("EINVAL", `${text} is not a unicast address`);
      service.destinations.set(text, { ...structuredClone(destination), stats: { ...NO_STATS } });
      return { ok: true };
    }
    if (!current) return fail("ENOENT", `dest ${text} doesn't exist`);
    service.destinations.set(text, { ...structuredClone(destination), stats: current.stats });
    return { ok: true };
  }
}

function fail(errno: IpvsErrno, reason: string): IpvsOpResult {
  return { ok: false, errno, reason };
}

/**
 * ip_vs_new_dest: IPv4 must be RTN_UNICAST or RTN_LOCAL (inet_addr_type makes 0.0.0.0/8 and
 * 255.255.255.255 broadcast, 224/4 multicast); IPv6 unicast and not link-local (the kernel
 * lets a link-local address of this host through; the fake has no addresses of its own).
 */
function isUnicast(address: IpAddress): boolean {
  const bytes = ipAddressBytes(address);
  if (address.family === 4) return bytes[0] !== 0 && !(bytes[0]! >= 224 && bytes[0]! <= 239) && !bytes.every((b) => b === 255);
  if (bytes.every((b) => b === 0) || bytes[0] === 0xff) return false;
  return !(bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80);
}
