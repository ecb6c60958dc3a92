// A LAN of boxes for scenario tests: the fake network, boxes on its wire running real
// engines, clients, and runFor, which fails the test on any internal error of an engine.
import { FakeNetwork, type FakeClient, type FakeWire } from "../fake-network/index.ts";
import { FakeBox } from "./fake-box.ts";

export class BoxLan {
  readonly network = new FakeNetwork();
  readonly boxes = new Map<string, FakeBox>();

  get wire(): FakeWire {
    return this.network.wire();
  }

  nowMs(): number {
    return this.network.clock.nowMs();
  }

  /** A box named `name` whose eth0 holds `address` ("10.99.0.11/24"), not started yet. */
  box(name: string, address: string, config: string): FakeBox {
    const box = new FakeBox(name, this.network.host(name, address), this.network, config);
    this.boxes.set(name, box);
    return box;
  }

  client(name: string, ip: string): FakeClient {
    return this.network.client(name, ip);
  }

  /** Boxes holding the address now. */
  holders(ip: string): string[] {
    return this.network.holders(ip);
  }

  async runFor(ms: number): Promise<void> {
    await this.network.runFor(ms);
    for (const box of this.boxes.values()) {
      if (box.failures.length > 0) throw new Error(`${box.name}: the engine failed: ${box.failures.map(String).join("; ")}`);
    }
  }
}
