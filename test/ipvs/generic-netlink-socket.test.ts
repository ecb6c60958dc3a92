// The generic netlink socket against the host's own kernel, through its controller family
// (nlctrl, always there): batches answered in order with refusals as values, chunking, dumps,
// a missing family, and a request that is never answered, all with the event loop running.
import { describe, expect, test } from "bun:test";
import { openGenericNetlinkSocket, type GenericNetlinkSocket, type GenlRequestEncoder } from "../../src/net/generic-netlink-socket.ts";
import { decodeFamily, encodeGenlMessage, encodeGetFamilyRequest } from "../../src/netlink/generic-netlink.ts";
import { CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL } from "../../src/netlink/generic-netlink-constants.ts";
import { attributeString, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "../../src/netlink/netlink-codec.ts";

const isLinux = process.platform === "linux";

async function openController(options: Parameters<typeof openGenericNetlinkSocket>[1] = {}): Promise<GenericNetlinkSocket> {
  const opened = await openGenericNetlinkSocket("nlctrl", options);
  if (!opened.ok) throw new Error(opened.message);
  return opened.socket;
}

const getFamily =
  (name: string): GenlRequestEncoder =>
  (seq, pid) =>
    encodeGetFamilyRequest(name, seq, pid);

/** How late a 10 ms interval fires while `work` runs (worst and 95th percentile): the event loop's responsiveness. */
async function lateness<T>(work: () => Promise<T>): Promise<{ value: T; maxLateMs: number; p95LateMs: number; ticks: number }> {
  let last = performance.now();
  const late: number[] = [];
  const interval = setInterval(() => {
    const now = performance.now();
    late.push(now - last - 10);
    last = now;
  }, 10);
  try {
    const value = await work();
    const sorted = late.sort((a, b) => a - b);
    return { value, maxLateMs: sorted.at(-1) ?? 0, p95LateMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0, ticks: late.length };
  } finally {
    clearInterval(interval);
  }
}

describe.skipIf(!isLinux)("generic netlink socket on the host kernel (nlctrl)", () => {
  test("resolves a family by name", async () => {
    const socket = await openController();
    try {
      expect(socket.family).toMatchObject({ id: GENL_ID_CTRL, name: "nlctrl" });
      expect(socket.family.operations.some((op) => op.id === CTRL_CMD_GETFAMILY)).toBe(true);
      expect(socket.limits.maxMessages).toBeGreaterThan(50);
    } finally {
      socket.close();
    }
  });

  test("a family the kernel lacks is a typed result, not an exception", async () => {
    const opened = await openGenericNetlinkSocket("tandem-nosuch");
    expect(opened).toEqual({ ok: false, kind: "no-family", message: "generic netlink family tandem-nosuch not found" });
  });

  test("a batch over many datagrams: each answer back in request order, refusals as values", async () => {
    // 1 KiB datagrams: the 600 requests go out in about 20 chunks.
    const socket = await openController({ maxBatchBytes: 1024 });
    try {
      const names = Array.from({ length: 600 }, (_, i) => (i % 3 === 2 ? `tandem-no${i}` : "nlctrl"));
      const results = await socket.sendBatch(names.map(getFamily));
      expect(results).toHaveLength(600);
      const seen = results.map((result) => {
        if (!result.ok) return result.error.name;
        const family = decodeFamily(result.replies[0]!);
        return "rejected" in family ? family.rejected : family.name;
      });
      expect(seen).toEqual(names.map((name) => (name === "nlctrl" ? "nlctrl" : "ENOENT")));
      // The same batch built by index.
      const byIndex = await socket.sendBatch({ count: names.length, encode: (index, seq, pid) => encodeGetFamilyRequest(names[index]!, seq, pid) });
      expect(byIndex.map((r) => (r.ok ? "ok" : r.error.name))).toEqual(names.map((name) => (name === "nlctrl" ? "ok" : "ENOENT")));
    } finally {
      socket.close();
    }
  });

  test("a request its encoder refuses is not sent and fails alone (EINVAL); the others go", async () => {
    const socket = await openController({ maxBatchBytes: 64 });
    try {
      const refused: GenlRequestEncoder = () => {
        throw new RangeError("weight 2147483648 is out of range");
      };
      const results = await socket.sendBatch([getFamily("nlctrl"), refused, getFamily("tandem-nosuch"), refused, refused, getFamily("nlctrl")]);
      expect(results.map((r) => (r.ok ? "ok" : r.error.name))).toEqual(["ok", "EINVAL", "ENOENT", "EINVAL", "EINVAL", "ok"]);
      expect(results[1]).toEqual({ ok: false, error: { errno: 22, name: "EINVAL", message: "not sent: weight 2147483648 is out of range" } });
    } finally {
      socket.close();
    }
  });

  test("a small receive buffer gets smaller datagrams, and every answer still arrives", async () => {
    const socket = await openController({ receiveBufferBytes: 32 * 1024 });
    try {
      expect(socket.limits.maxMessages).toBeLessThan(40);
      const results = await socket.sendBatch(Array.from({ length: 2_000 }, () => getFamily("nlctrl")));
      expect(results.filter((r) => !r.ok)).toEqual([]);
    } finally {
      socket.close();
    }
  });

  test("answers the receive buffer cannot hold come back as ENOBUFS results, not a hang", async () => {
    // More requests per datagram than the buffer has room for: the kernel drops the rest.
    const socket = await openController({ receiveBufferBytes: 32 * 1024, maxBatchMessages: 1_000 });
    try {
      const results = await socket.sendBatch(Array.from({ length: 1_000 }, () => getFamily("nlctrl")));
      const names = new Set(results.map((r) => (r.ok ? "ok" : r.error.name)));
      expect(names).toEqual(new Set(["ok", "ENOBUFS"]));
      expect(results[0]!.ok).toBe(true);
      // The socket goes on: the next batch is answered in full.
      expect((await socket.sendBatch([getFamily("nlctrl")]))[0]!.ok).toBe(true);
    } finally {
      socket.close();
    }
  });

  test("a large batch keeps the event loop turning between datagrams", async () => {
    const socket = await openController();
    try {
      const started = performance.now();
      const { value, maxLateMs, p95LateMs, ticks } = await lateness(() => socket.sendBatch(Array.from({ length: 30_000 }, () => getFamily("nlctrl"))));
      const elapsedMs = performance.now() - started;
      expect(value.every((r) => r.ok)).toBe(true);
      console.log(
        `30,000 requests in ${Math.round(elapsedMs)} ms, datagrams of ${socket.limits.maxBytes} bytes or ${socket.limits.maxMessages} requests: ` +
          `${ticks} ticks, lateness max ${maxLateMs.toFixed(1)} ms, 95th percentile ${p95LateMs.toFixed(1)} ms`,
      );
      // Held for the whole batch, the timer would fire once; one stall of a busy host is allowed for.
      expect(ticks).toBeGreaterThan(elapsedMs / 10 / 4);
      expect(p95LateMs).toBeLessThan(50);
      expect(maxLateMs).toBeLessThan(150);
    } finally {
      socket.close();
    }
  });

  test("a dump returns every part: all the host's families", async () => {
    const socket = await openController();
    try {
      const parts = await socket.dump(
        (seq, pid) =>
          encodeGenlMessage({ family: GENL_ID_CTRL, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, pid, cmd: CTRL_CMD_GETFAMILY, version: 1 }, []),
        "CTRL_CMD_GETFAMILY dump",
      );
      const names = parts.map(decodeFamily).map((f) => ("rejected" in f ? f.rejected : f.name));
      expect(names).toContain("nlctrl");
      expect(names.length).toBeGreaterThan(3);
    } finally {
      socket.close();
    }
  });

  test("a dump the kernel refuses throws its errno", async () => {
    const socket = await openController();
    try {
      // NEWFAMILY is the controller's answer, not a command it takes.
      const refused = socket.dump(
        (seq, pid) =>
          encodeGenlMessage({ family: GENL_ID_CTRL, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, pid, cmd: CTRL_CMD_NEWFAMILY, version: 1 }, []),
        "CTRL_CMD_NEWFAMILY dump",
      );
      await expect(refused).rejects.toMatchObject({ code: "EOPNOTSUPP" });
      // The socket still works afterwards.
      expect((await socket.sendBatch([getFamily("nlctrl")]))[0]!.ok).toBe(true);
    } finally {
      socket.close();
    }
  });

  test("a request that is never acknowledged ends in ETIMEDOUT at the deadline, the event loop running meanwhile", async () => {
    const socket = await openController({ replyTimeoutMs: 300 });
    try {
      // Without NLM_F_ACK the kernel sends the family but no final answer.
      const unacked: GenlRequestEncoder = (seq, pid) =>
        encodeGenlMessage({ family: GENL_ID_CTRL, flags: NLM_F_REQUEST, seq, pid, cmd: CTRL_CMD_GETFAMILY, version: 1 }, [
          attributeString(CTRL_ATTR_FAMILY_NAME, "nlctrl"),
        ]);
      const started = performance.now();
      const { value, ticks, p95LateMs } = await lateness(() => socket.sendBatch([getFamily("nlctrl"), unacked, getFamily("nlctrl")]));
      const elapsed = performance.now() - started;
      expect(value.map((r) => (r.ok ? "ok" : r.error.name))).toEqual(["ok", "ETIMEDOUT", "ok"]);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2_000);
      expect(ticks).toBeGreaterThanOrEqual(15);
      expect(p95LateMs).toBeLessThan(50);
      // Later requests are matched by their own numbers; the late reply is not mistaken for theirs.
      expect((await socket.sendBatch([getFamily("tandem-nosuch")]))[0]).toMatchObject({ ok: false, error: { name: "ENOENT" } });
    } finally {
      socket.close();
    }
  });
});
