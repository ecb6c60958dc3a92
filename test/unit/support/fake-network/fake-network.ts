// The world of a fake network: its simulated clock, its wires, hosts and clients, and the
// questions a test asks of all of them at once (who holds an address now).
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { FakeClient } from "./fake-client.ts";
import { FakeHost } from "./fake-host.ts";
import { FakeWire, WIRE_LATENCY_MS } from "./fake-wire.ts";
import { SimClock } from "./sim-clock.ts";

export class FakeNetwork {
  readonly clock = new SimClock();
  readonly hosts = new Map<string, FakeHost>();
  private readonly wires = new Map<string, FakeWire>();
  private stations = 0;

  /** The L2 segment of that name (created on first use). */
  wire(name = "lan", latencyMs = WIRE_LATENCY_MS): FakeWire {
    let wire = this.wires.get(name);
    if (!wire) {
      wire = new FakeWire(name, this.clock, latencyMs);
      this.wires.set(name, wire);
    }
    return wire;
  }

  /** A host with lo, and eth0 on `wire` holding `address` (e.g. "10.99.0.11/24"). */
  host(name: string, address?: string, wire: FakeWire = this.wire()): FakeHost {
    if (this.hosts.has(name)) throw new Error(`host ${name} exists already`);
    const host = new FakeHost(name, this.clock, this.nextMacPrefix());
    this.hosts.set(name, host);
    host.addLink("eth0", { wire });
    if (address) host.addAddress(address, "eth0");
    return host;
  }

  client(name: string, ip: string, wire: FakeWire = this.wire()): FakeClient {
    return new FakeClient(name, `${this.nextMacPrefix()}:01`, parseIpv4(ip)!, wire);
  }

  /** Hosts with `ip` configured right now. */
  holders(ip: string): string[] {
    return [...this.hosts.values()].filter((h) => h.hasAddress(ip)).map((h) => h.name);
  }

  runFor(ms: number): Promise<void> {
    return this.clock.runFor(ms);
  }

  /** Locally administered, unique per station: 02:00:00:00:NN, the last byte per link. */
  private nextMacPrefix(): string {
    this.stations++;
    return `02:00:00:00:${this.stations.toString(16).padStart(2, "0")}`;
  }
}
