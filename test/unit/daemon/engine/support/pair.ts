// The classic pair of the scenario suites: A (10.99.0.11, priority 100, state MASTER) and
// B (10.99.0.12, priority 90), VRID 51, VIP 10.99.0.100/24, on one wire, both started at 0.
import { BoxLan } from "../../../support/fake-box/box-lan.ts";
import type { FakeBox } from "../../../support/fake-box/fake-box.ts";
import { vrrpInstance, type InstanceText } from "../../../support/fake-box/keepalived-text.ts";
import { WIRE_LATENCY_MS } from "../../../support/fake-network/index.ts";

export const VIP = "10.99.0.100";
export const LATENCY_MS = WIRE_LATENCY_MS;

export interface PairOptions {
  a?: Partial<InstanceText>;
  b?: Partial<InstanceText>;
  /** Text before A's / B's instance block (vrrp_script blocks, global_defs). */
  aPrefix?: string;
  bPrefix?: string;
  /** Before the engines start: install programs, add links. */
  setup?(a: FakeBox, b: FakeBox): void;
}

export function pairTexts(options: PairOptions = {}) {
  return {
    a: (options.aPrefix ?? "") + vrrpInstance({ priority: 100, state: "MASTER", ...options.a }),
    b: (options.bPrefix ?? "") + vrrpInstance({ priority: 90, ...options.b }),
  };
}

/** The pair on its wire, not started: for scenarios that start the boxes in an order of their own. */
export function unstartedPair(options: PairOptions = {}) {
  const lan = new BoxLan();
  const texts = pairTexts(options);
  return { lan, a: lan.box("A", "10.99.0.11/24", texts.a), b: lan.box("B", "10.99.0.12/24", texts.b) };
}

/** `first` starts, and `afterMs` later (5 s: it is master by then) `startSecond` runs; the second's boot time. */
export async function startInTurn(lan: BoxLan, first: FakeBox, startSecond: () => void, afterMs = 5_000): Promise<number> {
  first.start();
  await lan.runFor(afterMs);
  startSecond();
  return lan.nowMs();
}

export function classicPair(options: PairOptions = {}) {
  const { lan, a, b } = unstartedPair(options);
  const client = lan.client("router", "10.99.0.1");
  options.setup?.(a, b);
  a.start();
  b.start();
  return { lan, a, b, client };
}

/** When `from` last put an advert on the wire, at or before `beforeMs`. */
export function lastAdvertAt(lan: BoxLan, from: string, beforeMs = Infinity): number {
  const last = lan.wire
    .adverts(from)
    .filter((f) => f.atMs <= beforeMs)
    .at(-1);
  if (!last) throw new Error(`${from} sent no advert`);
  return last.atMs;
}
