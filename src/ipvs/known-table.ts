// The kernel's table as the director knows it between full reads: the last dump, carried
// forward by the writes the kernel acknowledged, with the services a pass deletes from or
// drains read again. A full dump of 40,000 destinations takes seconds under emulation and
// keepalived reads none; with this a reload or a check's verdict that only adds and sets
// reads nothing, while the start, the drift scan and every retry after a refused write still
// read the whole table (the kernel stays the truth). Pure.
import type { DrainState } from "./drain.ts";
import type { IpvsOp, IpvsOpResult } from "./ops.ts";
import { destinationText, NO_STATS, serviceKeyText, type IpvsTable, type ObservedDestination, type ObservedService, type ServiceKey } from "./types.ts";

/**
 * The table after the ops whose results are ok, as the kernel applies them: a new service
 * has no destinations, a new destination has no counts (and comes first, as in a dump), a
 * set keeps the counts. Services not written are the same objects as before.
 */
export function tableAfterOps(table: IpvsTable<ObservedService>, ops: readonly IpvsOp[], results: readonly IpvsOpResult[]): IpvsTable<ObservedService> {
  const services = new Map(table.services.map((s) => [serviceKeyText(s.key), s]));
  // Destinations of the services written, copied once per pass and keyed by address.
  const copies = new Map<string, Map<string, ObservedDestination>>();
  const destinationsOf = (text: string): Map<string, ObservedDestination> | undefined => {
    let copy = copies.get(text);
    if (!copy) {
      const service = services.get(text);
      if (!service) return undefined;
      copy = new Map(service.destinations.map((d) => [destinationText(d), d]));
      copies.set(text, copy);
    }
    return copy;
  };
  ops.forEach((op, i) => {
    if (results[i]?.ok !== true) return;
    switch (op.kind) {
      case "add-service":
      case "set-service": {
        const text = serviceKeyText(op.service.key);
        const destinations = op.kind === "add-service" ? [] : (services.get(text)?.destinations ?? []);
        services.set(text, { ...op.service, destinations });
        if (op.kind === "add-service") copies.set(text, new Map());
        return;
      }
      case "delete-service": {
        const text = serviceKeyText(op.key);
        services.delete(text);
        copies.delete(text);
        return;
      }
      case "add-destination":
      case "set-destination": {
        const destinations = destinationsOf(serviceKeyText(op.service));
        const key = destinationText(op.destination);
        const stats = op.kind === "set-destination" ? (destinations?.get(key)?.stats ?? NO_STATS) : NO_STATS;
        if (op.kind === "add-destination") destinations?.delete(key);
        destinations?.set(key, { ...op.destination, stats });
        return;
      }
      case "delete-destination":
        destinationsOf(serviceKeyText(op.service))?.delete(destinationText(op.destination));
        return;
    }
  });
  return {
    services: [...services].map(([text, service]) => {
      const copy = copies.get(text);
      if (!copy) return service;
      // Newest first, as the kernel dumps them: added ones went to the end of the map.
      const previous = new Set(service.destinations.map(destinationText));
      const all = [...copy.values()];
      const added = all.filter((d) => !previous.has(destinationText(d))).reverse();
      return { ...service, destinations: [...added, ...all.filter((d) => previous.has(destinationText(d)))] };
    }),
  };
}

/** `table` with the services named in `keys` as `fresh` has them (absent from it: gone from the kernel). */
export function withServicesRead(
  table: IpvsTable<ObservedService>,
  keys: readonly ServiceKey[],
  fresh: IpvsTable<ObservedService>,
): IpvsTable<ObservedService> {
  const read = new Set(keys.map(serviceKeyText));
  const found = new Map(fresh.services.map((s) => [serviceKeyText(s.key), s]));
  const services: ObservedService[] = [];
  for (const service of table.services) {
    const text = serviceKeyText(service.key);
    if (!read.has(text)) services.push(service);
    else if (found.has(text)) services.push(found.get(text)!);
    found.delete(text);
  }
  // Services the kernel has that the known table did not: someone else added them.
  return { services: [...services, ...found.values()] };
}

/**
 * The services a pass must read before it writes: every one it deletes from (a delete breaks
 * connections, and whether a drained server may go is the kernel's connection counts to say,
 * never a stale copy's), and every one with a drain, whose end the counts decide. Adds and
 * sets need no read: the kernel refuses one that no longer fits (EEXIST, ENOENT, ESRCH) and
 * the retry reads the whole table. A 1 % reload of 40,000 destinations reads nothing (400
 * services took 4 s to read in an emulated guest, for writes that took 0.08 s).
 */
export function servicesToRead(ops: readonly IpvsOp[], drains: DrainState): ServiceKey[] {
  const keys = new Map<string, ServiceKey>();
  const add = (key: ServiceKey) => keys.set(serviceKeyText(key), key);
  for (const op of ops) {
    if (op.kind === "delete-service") add(op.key);
    else if (op.kind === "delete-destination") add(op.service);
  }
  for (const entry of drains.entries) add(entry.service);
  return [...keys.values()];
}
