// The director's record of the services it created, in memory: what IpvsOwnership keeps in SQLite.
import type { OwnershipPort } from "../../../../src/ipvs/director.ts";

export class MemoryOwnership implements OwnershipPort {
  set = new Set<string>();
  owned() {
    return new Set(this.set);
  }
  replace(services: ReadonlySet<string>) {
    this.set = new Set(services);
    return { ok: true as const };
  }
}
