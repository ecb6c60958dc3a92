// Ops as the requests that carry them (whole specs for services, keys for the rest), and the
// kernel's answers as op results: each errno under its IpvsErrno name and what it means here.
import { describe, expect, test } from "bun:test";
import { ipvsErrnoOf, opResultOf, requestOfOp, settingResultOf } from "../../../src/ipvs/op-requests.ts";
import type { IpvsOp } from "../../../src/ipvs/ops.ts";
import { destination, fwmark, ip, service, tcp } from "./support/table-values.ts";

const WEB = tcp("10.0.0.1", 80);
const real = destination("10.0.0.2", 80, "masquerade", 3, { upperThreshold: 9, lowerThreshold: 1 });
const ops: Record<IpvsOp["kind"], IpvsOp> = {
  "add-service": { kind: "add-service", service: service(WEB, "wrr") },
  "set-service": { kind: "set-service", service: service(WEB, "rr"), changed: ["scheduler"] },
  "delete-service": { kind: "delete-service", key: fwmark(3), breaksConnections: true },
  "add-destination": { kind: "add-destination", service: WEB, destination: real },
  "set-destination": { kind: "set-destination", service: WEB, destination: real, changed: ["weight"] },
  "delete-destination": { kind: "delete-destination", service: WEB, destination: real, breaksConnections: true },
};

describe("requestOfOp", () => {
  test("services go whole; destinations with the service's key; deletes by key and address", () => {
    expect(requestOfOp(ops["add-service"])).toEqual({ kind: "new-service", service: service(WEB, "wrr") });
    expect(requestOfOp(ops["set-service"])).toEqual({ kind: "set-service", service: service(WEB, "rr") });
    expect(requestOfOp(ops["delete-service"])).toEqual({ kind: "del-service", service: fwmark(3) });
    expect(requestOfOp(ops["add-destination"])).toEqual({ kind: "new-destination", service: WEB, destination: real });
    expect(requestOfOp(ops["set-destination"])).toEqual({ kind: "set-destination", service: WEB, destination: real });
    // The op may hold a whole destination (drain.ts passes what it saw); only the address goes.
    expect(requestOfOp(ops["delete-destination"])).toEqual({ kind: "del-destination", service: WEB, destination: { address: ip("10.0.0.2"), port: 80 } });
  });
});

describe("opResultOf", () => {
  const refused = (errno: number, name: string, message?: string) => ({ ok: false as const, error: { errno, name, ...(message ? { message } : {}) } });

  test("an ack is ok", () => {
    expect(opResultOf(ops["add-service"], { ok: true })).toEqual({ ok: true });
  });

  test("each of ip_vs_ctl.c's errnos by name, with what it means for that op", () => {
    const reason = (op: IpvsOp, errno: number, name: string) => {
      const result = opResultOf(op, refused(errno, name));
      return result.ok ? "ok" : `${result.errno}: ${result.reason}`;
    };
    expect(reason(ops["add-service"], 17, "EEXIST")).toBe("EEXIST: the service already exists: EEXIST (errno 17)");
    expect(reason(ops["add-destination"], 17, "EEXIST")).toBe("EEXIST: the destination already exists: EEXIST (errno 17)");
    expect(reason(ops["set-service"], 3, "ESRCH")).toBe("ESRCH: no such service: ESRCH (errno 3)");
    expect(reason(ops["add-service"], 2, "ENOENT")).toBe("ENOENT: no such scheduler or persistence engine module: ENOENT (errno 2)");
    expect(reason(ops["delete-destination"], 2, "ENOENT")).toBe("ENOENT: no such destination: ENOENT (errno 2)");
    expect(reason(ops["set-destination"], 34, "ERANGE")).toBe("ERANGE: weight or thresholds out of range: ERANGE (errno 34)");
    expect(reason(ops["add-service"], 97, "EAFNOSUPPORT")).toBe("EAFNOSUPPORT: this kernel's IPVS lacks the address family: EAFNOSUPPORT (errno 97)");
    expect(reason(ops["add-service"], 1, "EPERM")).toBe("EPERM: not permitted (IPVS needs CAP_NET_ADMIN): EPERM (errno 1)");
    expect(reason(ops["add-service"], 22, "EINVAL")).toBe("EINVAL: the kernel refused a value: EINVAL (errno 22)");
  });

  test("the kernel's extended ack and the socket's account of a lost answer are kept", () => {
    expect(opResultOf(ops["add-service"], refused(22, "EINVAL", "Unknown attribute"))).toEqual({
      ok: false,
      errno: "EINVAL",
      reason: "the kernel refused a value: EINVAL (errno 22); Unknown attribute",
    });
    expect(opResultOf(ops["add-destination"], refused(110, "ETIMEDOUT", "no answer from the kernel within 5000 ms"))).toEqual({
      ok: false,
      errno: "ETIMEDOUT",
      reason: "ETIMEDOUT (errno 110); no answer from the kernel within 5000 ms",
    });
    expect(opResultOf(ops["add-destination"], refused(105, "ENOBUFS"))).toMatchObject({ errno: "ENOBUFS" });
  });

  test("an errno outside the names is EOTHER, its own name in the reason", () => {
    expect(ipvsErrnoOf({ errno: 95, name: "EOPNOTSUPP" })).toBe("EOTHER");
    expect(ipvsErrnoOf({ errno: 200, name: "E200" })).toBe("EOTHER");
    expect(opResultOf(ops["add-service"], refused(95, "EOPNOTSUPP"))).toEqual({ ok: false, errno: "EOTHER", reason: "EOPNOTSUPP (errno 95)" });
  });
});

describe("settingResultOf", () => {
  test("names the request that failed", () => {
    expect(settingResultOf("IPVS_CMD_DEL_DAEMON master", { ok: false, error: { errno: 3, name: "ESRCH" } })).toEqual({
      ok: false,
      errno: "ESRCH",
      reason: "IPVS_CMD_DEL_DAEMON master: ESRCH (errno 3)",
    });
    expect(settingResultOf("IPVS_CMD_FLUSH", { ok: true })).toEqual({ ok: true });
  });
});
