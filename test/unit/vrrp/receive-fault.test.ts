// An instance whose socket cannot receive: a backup must not take over on a silence it
// cannot hear, a master gives its addresses up, and both come back once the socket does.
// The fault survives a reload's new set of trackers, which must not wipe it.
import { expect, test } from "bun:test";
import { FakeClock } from "../../../src/common/clock.ts";
import { parseIpv4 } from "../../../src/common/ipv4.ts";
import { silentLogger } from "../../../src/common/logger.ts";
import { VrrpInstance } from "../../../src/vrrp/instance.ts";

function instance(clock: FakeClock, basePriority: number) {
  const log: string[] = [];
  const vi = new VrrpInstance(
    {
      machine: {
        name: "VI_1",
        version: 3,
        vrid: 51,
        basePriority,
        advertIntervalCs: 100,
        initialState: "BACKUP",
        preempt: true,
        preemptDelayMs: 0,
        fastPreempt: true,
        primaryIp: parseIpv4("10.0.0.1")!,
        inSyncGroup: false,
      },
      advertAddresses: [parseIpv4("10.0.0.100")!],
      auth: undefined,
      garp: { delayMs: 0, repeat: 1, refreshMs: 0, refreshRepeat: 1 },
    },
    {
      clock,
      logger: silentLogger,
      sendAdvert: (advert) => log.push(`advert ${advert.priority}`),
      addVips: async () => void log.push("add vips"),
      removeVips: async () => void log.push("remove vips"),
      sendGratuitousArps: () => {},
      onTransition: (t) => log.push(`${t.from} -> ${t.to}`),
    },
  );
  return { vi, log };
}

test("a deaf backup goes to FAULT instead of becoming a second master, and returns to BACKUP", () => {
  const clock = new FakeClock();
  const { vi, log } = instance(clock, 100);
  vi.start();
  vi.receive(parseIpv4("10.0.0.2")!, 200, 100);
  expect(vi.snapshot().state).toBe("BACKUP");
  vi.setReceiveFault("cannot receive adverts on eth0 (recvmsg: ENETDOWN); reopening the socket");
  expect(vi.snapshot().state).toBe("FAULT");
  expect(vi.trackerStatuses()).toContainEqual(expect.objectContaining({ kind: "receive", fault: true }));
  clock.advance(10_000); // far past Master_Down_Interval
  expect(vi.snapshot().state).toBe("FAULT");
  expect(log).not.toContain("FAULT -> MASTER");
  vi.setReceiveFault(undefined);
  expect(vi.snapshot().state).toBe("BACKUP");
  expect(vi.trackerStatuses()).toEqual([]);
});

test("a deaf master releases its addresses; a reload's trackers keep the fault", async () => {
  const clock = new FakeClock();
  const { vi, log } = instance(clock, 255);
  vi.start();
  await vi.settled();
  expect(vi.snapshot().state).toBe("MASTER");
  vi.setReceiveFault("cannot receive adverts on eth0 (recvmsg: EBADF); reopening the socket");
  await vi.settled();
  expect(vi.snapshot().state).toBe("FAULT");
  expect(log.slice(-2)).toEqual(["MASTER -> FAULT", "remove vips"]);
  vi.setTrackers([{ kind: "script", name: "chk", healthy: true, contribution: 0, fault: false, detail: "ok" }]);
  expect(vi.snapshot().state).toBe("FAULT");
  vi.setReceiveFault(undefined);
  await vi.settled();
  expect(vi.snapshot().state).toBe("MASTER");
});
