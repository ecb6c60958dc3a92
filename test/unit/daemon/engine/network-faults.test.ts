// The engine when its sockets fail: a VRRP socket that cannot be opened, and a receive
// loop that dies under a running instance (FAULT, reopened with backoff), on the boxes.
import { describe, expect, test } from "bun:test";
import { BoxLan } from "../../support/fake-box/box-lan.ts";
import { classicPair, pairTexts, VIP } from "./support/pair.ts";

describe("socket faults", () => {
  test("the VRRP socket cannot be opened: the instance is not started and says why; a reload starts it", async () => {
    const lan = new BoxLan();
    const a = lan.box("A", "10.99.0.11/24", pairTexts().a);
    a.host.failNextVrrpOpens(1);
    a.start();
    await lan.runFor(5_000);
    expect(a.transitions()).toEqual([]);
    expect(lan.wire.adverts("A")).toEqual([]);
    expect(a.logger.lines.filter((l) => l.startsWith("error"))).toEqual([
      expect.stringContaining("cannot open the network side on eth0: socket(AF_INET, SOCK_RAW, 112): Operation not permitted"),
    ]);
    a.reload(pairTexts().a);
    await lan.runFor(5_000);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(lan.holders(VIP)).toEqual(["A"]);
  });

  test("the backup's receive loop dies: FAULT instead of a second master; the socket is reopened and it is BACKUP again", async () => {
    const { lan, a, b } = classicPair();
    await lan.runFor(5_000);
    expect([a.state("VI_1"), b.state("VI_1")]).toEqual(["MASTER", "BACKUP"]);
    const [socket] = b.host.vrrpSocketsOn("eth0");
    // The first five reopen attempts fail too: 100, 200, 400, 800, 1600 ms, then 3.2 s to the one that works.
    b.host.failNextVrrpOpens(5);
    socket!.failReceive("recvmsg: No buffer space available (errno 105)");
    const diedAt = lan.nowMs();
    await lan.runFor(10);
    expect(b.state("VI_1")).toBe("FAULT");
    expect(b.view("VI_1").trackers).toContainEqual(
      expect.objectContaining({ kind: "receive", fault: true, detail: expect.stringContaining("recvmsg: No buffer space available") }),
    );
    expect(b.latestStatus().status.sockets).toEqual([expect.objectContaining({ interface: "eth0", receiving: false, receiveFailures: 1, reopens: 0 })]);
    expect(b.logger.lines.filter((l) => l.startsWith("error")).join("\n")).toContain("VRRP receive on eth0: recvmsg: No buffer space available (errno 105)");
    // Deaf for 6.3 s, longer than Master_Down_Interval (3.65 s), yet it never takes over: no dual master.
    await lan.runFor(10_000);
    expect(b.transitions("VI_1").map((t) => t.to)).toEqual(["BACKUP", "FAULT", "BACKUP"]);
    expect(b.enteredAt("VI_1", "BACKUP", diedAt)).toBeCloseTo(diedAt + 100 + 200 + 400 + 800 + 1600 + 3200, 0);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(a.transitions("VI_1").filter((t) => t.atMs >= diedAt)).toEqual([]); // the master never noticed
    expect(b.latestStatus().status.sockets).toEqual([expect.objectContaining({ receiving: true, receiveFailures: 1, reopens: 1 })]);
    // It hears the master again on the new socket.
    const heardBefore = b.counters("VI_1").advertsReceived ?? 0;
    await lan.runFor(3_000);
    expect(b.counters("VI_1").advertsReceived).toBeGreaterThanOrEqual(heardBefore + 2);
  });

  test("the master's receive loop dies: it gives the VIP up at once, the backup takes over, and it preempts back once it hears again", async () => {
    const { lan, a, b, client } = classicPair();
    await lan.runFor(5_000);
    const [socket] = a.host.vrrpSocketsOn("eth0");
    a.host.failNextVrrpOpens(5); // 100 + 200 + 400 + 800 + 1600 ms, then 3.2 s to the one that works
    socket!.failReceive("recvmsg: Bad file descriptor (errno 9)");
    await lan.runFor(10);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(a.holds(VIP)).toBe(false);
    await lan.runFor(5_000);
    expect(b.state("VI_1")).toBe("MASTER");
    expect(client.reaches(VIP)).toBe("B");
    await lan.runFor(10_000);
    expect([a.state("VI_1"), b.state("VI_1")]).toEqual(["MASTER", "BACKUP"]);
    expect(lan.holders(VIP)).toEqual(["A"]);
    expect(client.reaches(VIP)).toBe("A");
    expect(a.latestStatus().status.sockets).toEqual([expect.objectContaining({ receiving: true, receiveFailures: 1, reopens: 1 })]);
  });
});
