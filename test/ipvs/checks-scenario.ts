// The faults the health-check test injects, in order, and its schedule: the same for tandem
// and for keepalived 2.2.7 (checks-program.ts runs it twice in one guest), so their table
// transitions can be compared one for one. Each step is a real failure of a real nginx
// (checks-topology.ts): a 503 through its down file, or a SIGKILL of its processes, and the
// repair of each.

export type Fault =
  /** The host's nginx answers 503 on the port (its down file appears). */
  | { kind: "fail-503"; host: string; port: number }
  /** It answers 200 on the port again (the file goes). */
  | { kind: "answer-200"; host: string; port: number }
  /** Its nginx master and workers get SIGKILL: every port refuses connections. */
  | { kind: "sigkill"; host: string }
  /** Its nginx is started again. */
  | { kind: "restart"; host: string };

export interface ScenarioStep {
  step: string;
  fault: Fault;
  /** A failure is detected after 1 + retry failed checks; a recovery after two good ones (keepalived's HTTP_GET rule). */
  detects: "failure" | "recovery";
}

export const SCENARIO: readonly ScenarioStep[] = [
  { step: "503 on nat1:80", fault: { kind: "fail-503", host: "nat1", port: 80 }, detects: "failure" },
  { step: "nat1:80 answers 200 again", fault: { kind: "answer-200", host: "nat1", port: 80 }, detects: "recovery" },
  { step: "SIGKILL of nat2's nginx", fault: { kind: "sigkill", host: "nat2" }, detects: "failure" },
  { step: "nat2's nginx restarted", fault: { kind: "restart", host: "nat2" }, detects: "recovery" },
  { step: "503 on nat3:8080", fault: { kind: "fail-503", host: "nat3", port: 8080 }, detects: "failure" },
  { step: "503 on nat1:8080", fault: { kind: "fail-503", host: "nat1", port: 8080 }, detects: "failure" },
  { step: "nat1:8080 answers 200 again", fault: { kind: "answer-200", host: "nat1", port: 8080 }, detects: "recovery" },
  { step: "nat3:8080 answers 200 again", fault: { kind: "answer-200", host: "nat3", port: 8080 }, detects: "recovery" },
];

/** From the complete table to the client's start: every checker has run its first check (warmup is up to delay_loop). */
export const WARMUP_MS = 3000;
/** The client's requests before the first fault: none may fail. */
export const BASELINE_MS = 1500;
/**
 * From one step to the next: a failure's detection (at most delay_loop + retry x
 * delay_before_retry, 2 s, plus the guest's slowness) and a stretch of requests after it.
 */
export const PHASE_MS = 5000;
/** How often the kernel's table is read. */
export const READ_INTERVAL_MS = 100;
