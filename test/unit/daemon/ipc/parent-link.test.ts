// The child's end of the IPC channel: messages that arrive while the child sets itself up
// (between its "start" and onMessage) are handed over, in order, when it listens.
import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { parentLink, type IpcChannel } from "../../../../src/daemon/ipc/parent-link.ts";

type Msg = { type: "start"; n: number } | { type: "vrrp"; states: Record<string, string> } | { type: "stop" };

function channel(): { channel: IpcChannel; deliver: (m: Msg) => void; sent: unknown[] } {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  const ch = Object.assign(emitter, { send: (m: never) => sent.push(m) }) as unknown as IpcChannel;
  return { channel: ch, deliver: (m) => emitter.emit("message", m), sent };
}

describe("parentLink", () => {
  test("a message right after start, before onMessage, is handed over when the child listens (the director's VRRP states)", async () => {
    const { channel: ch, deliver } = channel();
    const link = parentLink<Msg, never>(ch);
    const start = link.next("start");
    // The supervisor's onStart: "start", then at once the states it sends only on a change.
    deliver({ type: "start", n: 1 });
    deliver({ type: "vrrp", states: { VI_1: "MASTER" } });
    expect(await start).toEqual({ type: "start", n: 1 });
    await Bun.sleep(5); // the child sets itself up
    deliver({ type: "vrrp", states: { VI_1: "BACKUP" } });
    const seen: Msg[] = [];
    link.onMessage((m) => seen.push(m));
    // "start" went to next(), not again to the listener; the rest in order.
    expect(seen).toEqual([
      { type: "vrrp", states: { VI_1: "MASTER" } },
      { type: "vrrp", states: { VI_1: "BACKUP" } },
    ]);
    deliver({ type: "stop" });
    expect(seen.at(-1)).toEqual({ type: "stop" });
  });

  test("a listener already there gets every message, the one next() resolves included", async () => {
    const { channel: ch, deliver } = channel();
    const link = parentLink<Msg, never>(ch);
    const seen: Msg[] = [];
    link.onMessage((m) => seen.push(m));
    const start = link.next("start");
    deliver({ type: "start", n: 2 });
    expect(await start).toEqual({ type: "start", n: 2 });
    expect(seen).toEqual([{ type: "start", n: 2 }]);
  });

  test("next() takes a kept message of its type that came before it was called", async () => {
    const { channel: ch, deliver } = channel();
    const link = parentLink<Msg, never>(ch);
    deliver({ type: "vrrp", states: {} });
    deliver({ type: "start", n: 3 });
    expect(await link.next("start")).toEqual({ type: "start", n: 3 });
    const seen: Msg[] = [];
    link.onMessage((m) => seen.push(m));
    expect(seen).toEqual([{ type: "vrrp", states: {} }]);
  });

  test("send goes to the channel; without one, the link refuses to exist", () => {
    const { channel: ch, sent } = channel();
    parentLink<Msg, { type: "ping" }>(ch).send({ type: "ping" });
    expect(sent).toEqual([{ type: "ping" }]);
    expect(() => parentLink({ on: () => undefined } as IpcChannel)).toThrow(/IPC channel/);
  });
});
