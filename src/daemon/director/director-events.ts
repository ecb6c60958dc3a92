// The director's reports as history records (ipvs.* kinds, store/ipvs-event-data.ts): the
// quorum machine's records, drains, batches of writes and drift repairs, each with the line
// a person reads and its typed data. Pure.
import type { DirectorReport } from "../../ipvs/director.ts";
import { describeOp } from "../../ipvs/director.ts";
import type { DirectorEffect } from "../../ipvs/director-types.ts";
import type { DrainEffect } from "../../ipvs/drain.ts";
import type { IpvsEventDataByKind } from "../../store/ipvs-event-data.ts";

/** One record: its kind, summary and data, and the virtual server it concerns. */
export type IpvsRecord = {
  [K in keyof IpvsEventDataByKind]: { kind: K; summary: string; data: IpvsEventDataByKind[K]; instance?: string };
}[keyof IpvsEventDataByKind];

type RecordEffect = Extract<DirectorEffect, { kind: "record" }>;

/** What a quorum record carries beside the effect: the sum it was judged on and the thresholds. */
export interface QuorumFacts {
  liveWeight: number;
  quorum: number;
  hysteresis: number;
}

/** A record of the quorum machine, in keepalived's words; none for a virtual server's removal (its servers say it). */
export function quorumRecord(effect: RecordEffect, facts: () => QuorumFacts): IpvsRecord | undefined {
  const instance = effect.virtualServer;
  switch (effect.event) {
    case "quorum-gained":
    case "quorum-lost":
      return {
        kind: "ipvs.quorum",
        summary: effect.message,
        data: { virtualServer: effect.virtualServer, state: effect.event === "quorum-lost" ? "lost" : "regained", ...facts() },
        instance,
      };
    case "sorry-server-in":
    case "sorry-server-out":
      return {
        kind: "ipvs.sorry-server",
        summary: effect.message,
        data: { virtualServer: effect.virtualServer, state: effect.event === "sorry-server-in" ? "in" : "out", sorryServer: effect.realServer ?? "" },
        instance,
      };
    case "virtual-server-removed":
      return undefined;
    default:
      return {
        kind: "ipvs.real-server",
        summary: effect.message,
        data: {
          virtualServer: effect.virtualServer,
          realServer: effect.realServer ?? "",
          change: effect.event === "real-server-up" ? "added" : effect.event === "real-server-reweighted" ? "re-weighted" : "removed",
          cause: effect.cause,
          detail: effect.message,
        },
        instance,
      };
  }
}

export function drainRecord(e: DrainEffect): IpvsRecord {
  return {
    kind: "ipvs.drain",
    summary: `${e.kind.replace("drain-", "drain ")} for ${e.destination} in ${e.service}`,
    data: {
      virtualServer: e.service,
      realServer: e.destination,
      state: e.kind === "drain-started" ? "started" : e.kind === "drain-finished" ? "finished" : "cancelled",
      cause: e.cause,
      ...(e.kind === "drain-started" ? { deadlineMs: e.deadlineMs } : {}),
      ...(e.kind === "drain-finished" ? { how: e.how } : {}),
      ...(e.kind === "drain-cancelled" ? { why: e.why } : {}),
    },
    instance: e.service,
  };
}

/** A batch of writes, with its failures as "ERRNO: reason: op" (also what the log warns). */
export function applyRecord(report: Extract<DirectorReport, { kind: "applied" }>, errors: readonly string[]): IpvsRecord {
  return {
    kind: "ipvs.apply",
    summary: `IPVS: ${report.ops.length} write(s) (${report.cause})${errors.length ? `, ${errors.length} failed` : ""}`,
    data: {
      cause: report.cause,
      writes: report.ops.length,
      failures: errors.length,
      durationMs: report.durationMs,
      readMs: report.readMs,
      planMs: report.planMs,
      ...(errors.length ? { errors: errors.slice(0, 20) } : {}),
    },
  };
}

export function driftRecord(report: Extract<DirectorReport, { kind: "drift-repaired" }>): IpvsRecord {
  return {
    kind: "ipvs.drift-repaired",
    summary: `IPVS drift repaired: ${report.ops.length} write(s)`,
    data: { ops: report.ops.length, what: report.ops.map(describeOp).slice(0, 20) },
  };
}
