import { expect, test } from "bun:test";
import { EventForwarder } from "../../../../src/daemon/supervisor/event-forwarder.ts";
import type { NewEvent } from "../../../../src/store/event.ts";

const event = (n: number): NewEvent => ({ kind: "daemon.stop", atMs: n, summary: `e${n}`, data: { reason: "x" } });

test("events wait, in order, while the observer is down; past the bound the oldest go and the history is told", () => {
  const delivered: NewEvent[][] = [];
  let accept = true;
  const forwarder = new EventForwarder(
    (batch) => (accept ? (delivered.push(batch), true) : false),
    () => 99,
    3,
  );
  for (let n = 1; n <= 5; n++) forwarder.record(event(n));
  expect(delivered).toEqual([]);
  forwarder.observerReady();
  expect(delivered[0]!.map((e) => e.summary)).toEqual(["2 event(s) were lost while the observer was down (more than 3 waited)", "e3", "e4", "e5"]);
  forwarder.record(event(6));
  expect(delivered[1]!.map((e) => e.summary)).toEqual(["e6"]);
  // A delivery that fails (the observer just died) keeps the batch for the next one.
  accept = false;
  forwarder.record(event(7));
  accept = true;
  forwarder.observerReady();
  expect(delivered[2]!.map((e) => e.summary)).toEqual(["e7"]);
});

test("a batch (the director's) goes on as one delivery, and counts against the bound like single events", () => {
  const delivered: NewEvent[][] = [];
  const forwarder = new EventForwarder(
    (batch) => (delivered.push(batch), true),
    () => 99,
    3,
  );
  forwarder.observerReady();
  forwarder.recordAll([event(1), event(2)]);
  expect(delivered.map((batch) => batch.map((e) => e.summary))).toEqual([["e1", "e2"]]);
  forwarder.observerGone();
  forwarder.recordAll([1, 2, 3, 4, 5].map((n) => event(10 + n)));
  forwarder.observerReady();
  expect(delivered[1]!.map((e) => e.summary)).toEqual(["2 event(s) were lost while the observer was down (more than 3 waited)", "e13", "e14", "e15"]);
});
