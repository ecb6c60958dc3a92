// A checker as the runner keeps it: its spec, its state by keepalived's rules (or rise/fall),
// its counters and what it last found; and the probe it shares with identical checkers.
import type { CheckSpec } from "../../check/check-spec.ts";
import type { CheckStats } from "../../check/check-stats.ts";
import type { CheckerState, HttpCheckerState, MiscCheckerState } from "../../check/checker-state.ts";
import type { TlsCertificateReport } from "../../check/http-judge.ts";
import type { RiseFallState } from "../../check/rise-fall.ts";
import type { CheckerTarget } from "../../ipvs/real-server-health.ts";
import type { PreparedMiscScript } from "./misc-script.ts";

/** A check's result, for the status and the log. */
export interface CheckerResult {
  ok: boolean;
  /** The verdict's reason ("connection refused", "status 503; expected 200-299") or what passed. */
  text: string;
  atMs: number;
  durationMs: number;
}

export interface Entry {
  id: string;
  target: CheckerTarget;
  spec: CheckSpec;
  fingerprint: string;
  /** keepalived's FMT_CHK: "[10.0.0.2]:tcp:80". */
  name: string;
  /** FMT_VS: "[10.0.0.1]:tcp:80". */
  virtualServerName: string;
  state: CheckerState | HttpCheckerState | MiscCheckerState | RiseFallState;
  /** MISC_CHECK's script, ready to run. */
  script?: PreparedMiscScript;
  dynamicWeight?: number;
  weightDelta?: number;
  /** A verdict has been handed on (has_run may be set earlier, by a retry). */
  judged?: boolean;
  stats: CheckStats;
  /** The probe it shares with identical checkers (joinGroup). */
  group?: ProbeGroup;
  tls?: TlsCertificateReport;
  nextDelayMs?: number;
  last?: CheckerResult;
  lastChange?: CheckerResult;
  problem?: string;
}

/** One scheduled probe and the checkers it feeds (the first one's state picks the url). */
export interface ProbeGroup {
  id: string;
  members: Entry[];
}

export /** rise / fall apply to the checkers that connect; a MISC_CHECK's script and a FILE_CHECK's file keep keepalived's rules (their weights ride on them). */
function usesRiseFall(spec: CheckSpec): boolean {
  return spec.riseFall !== undefined && spec.kind !== "MISC_CHECK" && spec.kind !== "FILE_CHECK";
}
