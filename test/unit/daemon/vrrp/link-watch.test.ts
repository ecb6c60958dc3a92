// The link watch: events move the known links; a monitor that dies is reopened with backoff
// and what changed meanwhile (a link that went down, one that disappeared) is reported from
// the new snapshot, so a track_interface cannot stay up on a lost event.
import { expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { LinkInfo, NetworkEvent, NetworkMonitor, NetworkPorts } from "../../../../src/net/index.ts";
import { LinkWatch, MONITOR_REOPEN_POLICY } from "../../../../src/daemon/vrrp/link-watch.ts";

function link(name: string, up: boolean, index = 2): LinkInfo {
  return { index, name, up, operState: up ? "up" : "down", mac: "02:00:00:00:00:01", mtu: 1500, flags: 0 } as unknown as LinkInfo;
}

class FakeMonitors {
  kernelLinks: LinkInfo[] = [];
  failOpens = 0;
  opened: { onEvent: (e: NetworkEvent) => void; onError: (e: Error) => void; closed: boolean }[] = [];
  readonly ports = {
    watchNetwork: async (onEvent: (e: NetworkEvent) => void, onError: (e: Error) => void): Promise<NetworkMonitor> => {
      if (this.failOpens > 0) {
        this.failOpens--;
        throw new Error("socket(AF_NETLINK): EMFILE");
      }
      const record = { onEvent, onError, closed: false };
      this.opened.push(record);
      return { initialLinks: [...this.kernelLinks], close: async () => void (record.closed = true) };
    },
  } as unknown as NetworkPorts;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

test("a dead monitor is reopened with backoff and the links that changed meanwhile are reported", async () => {
  const clock = new FakeClock();
  const monitors = new FakeMonitors();
  monitors.kernelLinks = [link("eth0", true, 2), link("eth1", true, 3)];
  const changes: string[] = [];
  const watch = new LinkWatch(monitors.ports, clock, memoryLogger(), (l, up) => changes.push(`${l.name} ${up ? "up" : "down"}`));
  await watch.start();
  expect(watch.links().map((l) => l.name)).toEqual(["eth0", "eth1"]);
  changes.length = 0;

  monitors.opened[0]!.onEvent({ kind: "link-down", link: link("eth0", false, 2) });
  expect(changes).toEqual(["eth0 down"]);

  // The monitor dies; meanwhile eth0 comes back and eth1 disappears, and the events are lost.
  monitors.opened[0]!.onError(new Error("recvmsg: ENOBUFS"));
  expect(monitors.opened[0]!.closed).toBe(true);
  monitors.kernelLinks = [link("eth0", true, 2)];
  monitors.failOpens = 1;
  clock.advance(MONITOR_REOPEN_POLICY.firstDelayMs);
  await settle();
  expect(monitors.opened.length).toBe(1);
  clock.advance(2 * MONITOR_REOPEN_POLICY.firstDelayMs);
  await settle();
  expect(monitors.opened.length).toBe(2);
  expect(changes).toEqual(["eth0 down", "eth0 up", "eth1 down"]);
  expect(watch.links().map((l) => l.name)).toEqual(["eth0"]);
  expect(watch.failures).toBe(1);

  // Events from the dead monitor count for nothing; the new one's do.
  monitors.opened[0]!.onEvent({ kind: "link-down", link: link("eth0", false, 2) });
  expect(changes.length).toBe(3);
  monitors.opened[1]!.onEvent({ kind: "link-down", link: link("eth0", false, 2) });
  expect(changes.at(-1)).toBe("eth0 down");

  watch.close();
  monitors.opened[1]!.onError(new Error("closed"));
  clock.advance(60_000);
  await settle();
  expect(monitors.opened.length).toBe(2);
});
