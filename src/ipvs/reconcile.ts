// reconcile(desired, actual, scope): the writes that turn the kernel's IPVS table (a dump)
// into the desired one for the services tandem may touch, and nothing else: no write when
// they agree, SET_* for attributes, delete + add only for a new identity, never a flush,
// never a foreign service. Deterministic order, so a test compares the whole list. Pure.
import type { AddDestinationOp, AddServiceOp, DeleteDestinationOp, DeleteServiceOp, IpvsOp, SetDestinationOp, SetServiceOp } from "./ops.ts";
import { destinationChanges, destinationSpecOf, serviceChanges, serviceSpecOf } from "./spec-diff.ts";
import {
  destinationText,
  serviceKeyText,
  type DesiredService,
  type DestinationAddress,
  type IpvsTable,
  type ObservedService,
  type ServiceKey,
  type ServiceSpec,
} from "./types.ts";

export interface ReconcileScope {
  /**
   * Key texts (serviceKeyText) of the services tandem created, from its own record: one no
   * longer desired is deleted; any other service not in the desired table is foreign and
   * left alone, whatever it holds.
   */
  owned: ReadonlySet<string>;
}

/**
 * The ops, in the order they must be sent:
 * 1. add-service, 2. set-service, 3. add-destination, 4. set-destination,
 * 5. delete-destination, 6. delete-service; each group sorted by service key text, then by
 * destination text. Services exist before their destinations are added; a real server's
 * replacement is in place before it goes, so a service never dips below its capacity in
 * between. A deleted service's destinations get no ops of their own: DEL_SERVICE takes them.
 * Throws RangeError if the desired table names a service, or a destination in one service,
 * twice (the builder's bug: the kernel would answer EEXIST).
 */
export function reconcile(desired: IpvsTable, actual: IpvsTable<ObservedService>, scope: ReconcileScope): IpvsOp[] {
  const wanted = indexServices(desired.services, "desired");
  const held = indexServices(actual.services, "actual");
  const ops: Groups = { addService: [], setService: [], addDestination: [], setDestination: [], deleteDestination: [], deleteService: [] };

  for (const [text, want] of wanted) {
    const have = held.get(text);
    if (!have) {
      ops.addService.push({ kind: "add-service", service: serviceSpecOf(want) });
      for (const destination of want.destinations)
        ops.addDestination.push({ kind: "add-destination", service: want.key, destination: destinationSpecOf(destination) });
      continue;
    }
    const changed = serviceChanges(want, have);
    if (changed.length > 0) ops.setService.push({ kind: "set-service", service: serviceSpecOf(want), changed });
    diffDestinations(want, have, text, ops);
  }
  for (const [text, have] of held) {
    if (!wanted.has(text) && scope.owned.has(text)) ops.deleteService.push({ kind: "delete-service", key: have.key, breaksConnections: true });
  }

  pairServiceIdentityChanges(ops.deleteService, ops.addService);
  pairDestinationIdentityChanges(ops.deleteDestination, ops.addDestination);
  return [
    ...sortByService(ops.addService, (op) => op.service.key),
    ...sortByService(ops.setService, (op) => op.service.key),
    ...sortByDestination(ops.addDestination),
    ...sortByDestination(ops.setDestination),
    ...sortByDestination(ops.deleteDestination),
    ...sortByService(ops.deleteService, (op) => op.key),
  ];
}

/**
 * What tandem owns once `ops` are applied: what it owned, plus every service the desired
 * table names (created or adopted: the config claimed it, so dropping it from the config
 * later must remove it), minus what was deleted. The director records this.
 */
export function ownedAfter(scope: ReconcileScope, desired: IpvsTable, ops: readonly IpvsOp[]): Set<string> {
  const owned = new Set(scope.owned);
  for (const service of desired.services) owned.add(serviceKeyText(service.key));
  for (const op of ops) if (op.kind === "delete-service") owned.delete(serviceKeyText(op.key));
  return owned;
}

interface Groups {
  addService: AddServiceOp[];
  setService: SetServiceOp[];
  addDestination: AddDestinationOp[];
  setDestination: SetDestinationOp[];
  deleteDestination: DeleteDestinationOp[];
  deleteService: DeleteServiceOp[];
}

type WithDestinations = ServiceSpec & { destinations: readonly DestinationAddress[] };

function indexServices<S extends WithDestinations>(services: readonly S[], which: string): Map<string, S> {
  const byKey = new Map<string, S>();
  for (const service of services) {
    const text = serviceKeyText(service.key);
    if (byKey.has(text)) throw new RangeError(`the ${which} IPVS table holds ${text} twice`);
    byKey.set(text, service);
  }
  return byKey;
}

function diffDestinations(want: DesiredService, have: ObservedService, serviceText: string, ops: Groups): void {
  const held = new Map(have.destinations.map((d) => [destinationText(d), d]));
  const seen = new Set<string>();
  for (const destination of want.destinations) {
    const text = destinationText(destination);
    if (seen.has(text)) throw new RangeError(`the desired IPVS table holds ${text} twice in ${serviceText}`);
    seen.add(text);
    const current = held.get(text);
    if (!current) {
      ops.addDestination.push({ kind: "add-destination", service: want.key, destination: destinationSpecOf(destination) });
      continue;
    }
    const changed = destinationChanges(destination, current);
    if (changed.length > 0) ops.setDestination.push({ kind: "set-destination", service: want.key, destination: destinationSpecOf(destination), changed });
  }
  for (const [text, current] of held) {
    if (!seen.has(text))
      ops.deleteDestination.push({
        kind: "delete-destination",
        service: want.key,
        destination: { address: current.address, port: current.port },
        breaksConnections: true,
      });
  }
}

/**
 * The same virtual address on another port or another protocol (not both), or the same
 * firewall mark in the other family: what a config edit of one identity part looks like.
 */
function isServiceReplacement(gone: ServiceKey, added: ServiceKey): boolean {
  if (gone.kind === "fwmark") return added.kind === "fwmark" && gone.fwmark === added.fwmark && gone.family !== added.family;
  if (added.kind === "fwmark") return false;
  if (gone.address.text !== added.address.text) return false;
  return (gone.port !== added.port) !== (gone.protocol !== added.protocol);
}

function pairServiceIdentityChanges(deletes: DeleteServiceOp[], adds: AddServiceOp[]): void {
  // Nothing to pair (a first load adds thousands and deletes none): no sort for it.
  if (deletes.length === 0 || adds.length === 0) return;
  const sortedAdds = sortByService([...adds], (op) => op.service.key);
  for (const gone of sortByService([...deletes], (op) => op.key)) {
    const added = sortedAdds.find((op) => !op.identityChange && isServiceReplacement(gone.key, op.service.key));
    if (!added) continue;
    const change = { from: serviceKeyText(gone.key), to: serviceKeyText(added.service.key) };
    gone.identityChange = change;
    added.identityChange = change;
  }
}

/** Within one service, the same real server on another port. */
function pairDestinationIdentityChanges(deletes: DeleteDestinationOp[], adds: AddDestinationOp[]): void {
  // Nothing to pair (a first load adds thousands and deletes none): no index of the adds for it.
  if (deletes.length === 0 || adds.length === 0) return;
  const addsByAddress = new Map<string, AddDestinationOp[]>();
  for (const op of sortByDestination([...adds])) {
    const at = `${serviceKeyText(op.service)} ${op.destination.address.text}`;
    const same = addsByAddress.get(at);
    if (same) same.push(op);
    else addsByAddress.set(at, [op]);
  }
  for (const gone of sortByDestination([...deletes])) {
    const candidates = addsByAddress.get(`${serviceKeyText(gone.service)} ${gone.destination.address.text}`) ?? [];
    const added = candidates.find((op) => !op.identityChange);
    if (!added) continue;
    const change = { from: destinationText(gone.destination), to: destinationText(added.destination) };
    gone.identityChange = change;
    added.identityChange = change;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortByService<T>(ops: T[], keyOf: (op: T) => ServiceKey): T[] {
  const keyed = ops.map((op) => ({ op, text: serviceKeyText(keyOf(op)) }));
  keyed.sort((a, b) => compareText(a.text, b.text));
  return keyed.map((k) => k.op);
}

function sortByDestination<T extends { service: ServiceKey; destination: DestinationAddress }>(ops: T[]): T[] {
  // A service's ops share its key value, and so its text: made once per service, not per destination.
  const serviceTexts = new Map<ServiceKey, string>();
  const textOf = (key: ServiceKey): string => {
    let text = serviceTexts.get(key);
    if (text === undefined) serviceTexts.set(key, (text = serviceKeyText(key)));
    return text;
  };
  const keyed = ops.map((op) => ({ op, service: textOf(op.service), destination: destinationText(op.destination) }));
  keyed.sort((a, b) => compareText(a.service, b.service) || compareText(a.destination, b.destination));
  return keyed.map((k) => k.op);
}
