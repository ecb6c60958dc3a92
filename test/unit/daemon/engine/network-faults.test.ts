// The engine when its sockets fail: a VRRP socket that cannot be opened, and a receive
// loop that dies under a running instance (the fake network's two socket controls).
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
    expect(a.logger.lines.filter((l) => l.startsWith("error"))).toEqual([expect.stringContaining("cannot open the network side on eth0: socket(AF_INET, SOCK_RAW, 112): Operation not permitted")]);
    a.reload(pairTexts().a);
    await lan.runFor(5_000);
    expect(a.state("VI_1")).toBe("MASTER");
    expect(lan.holders(VIP)).toEqual(["A"]);
  });

  test("a receive loop that dies is reported to the engine with the socket's reason", async () => {
    const { lan, b } = classicPair();
    await lan.runFor(5_000);
    const [socket] = b.host.vrrpSocketsOn("eth0");
    socket!.failReceive("recvmsg: No buffer space available (errno 105)");
    await lan.runFor(2_000);
    expect(b.logger.lines.filter((l) => l.startsWith("error")).join("\n")).toContain("VRRP receive on eth0: recvmsg: No buffer space available (errno 105)");
    // Adverts still reach the box; its dead loop no longer reads them.
    expect(lan.wire.adverts("A").at(-1)!.deliveredTo).toContain("B");
    expect(b.counters("VI_1").advertsReceived).toBe(lan.wire.adverts("A").filter((f) => f.atMs < 5_000).length);
  });
});
