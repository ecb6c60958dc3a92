// The API's own counters (one owner: the app): responses by status, parameters clamped,
// validations by outcome; with the refusals and what is in progress they become the
// tandem_api_* families of /metrics.
import type { AdmissionControl } from "./admission.ts";
import type { MetricFamily } from "./prometheus-text.ts";
import type { RefusalLog } from "./refusals.ts";

export type ValidationOutcome = "valid" | "invalid" | "time-limit" | "memory-limit" | "output-limit" | "busy" | "failed";

const VALIDATION_OUTCOMES: readonly ValidationOutcome[] = ["valid", "invalid", "time-limit", "memory-limit", "output-limit", "busy", "failed"];

export class ApiStats {
  private readonly responses = new Map<number, number>();
  private readonly clamped = new Map<string, number>();
  private readonly validations = new Map<ValidationOutcome, number>(VALIDATION_OUTCOMES.map((o) => [o, 0]));

  response(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  /** `parameter` is a query parameter's name ("limit", "untilMs"). */
  clamp(parameter: string): void {
    this.clamped.set(parameter, (this.clamped.get(parameter) ?? 0) + 1);
  }

  validation(outcome: ValidationOutcome): void {
    this.validations.set(outcome, (this.validations.get(outcome) ?? 0) + 1);
  }

  families(refusals: RefusalLog, admission: AdmissionControl): MetricFamily[] {
    const now = admission.inProgress();
    return [
      {
        name: "tandem_api_responses_total",
        help: "API responses by HTTP status",
        type: "counter",
        samples: [...this.responses].sort(([a], [b]) => a - b).map(([code, value]) => ({ labels: { code: String(code) }, value })),
      },
      {
        name: "tandem_api_refused_total",
        help: "Requests refused for a limit or a token, by reason (401/403/408/413/414/429/503)",
        type: "counter",
        samples: [...refusals.totals()].map(([reason, value]) => ({ labels: { reason }, value })),
      },
      {
        name: "tandem_api_clamped_total",
        help: "Query parameters clamped to what the API serves (a page size over the maximum, a time past the last date)",
        type: "counter",
        samples: [...this.clamped].map(([parameter, value]) => ({ labels: { parameter }, value })),
      },
      {
        name: "tandem_config_validations_total",
        help: "POST /config/validate runs by outcome (each in a child process with a time and a memory limit)",
        type: "counter",
        samples: [...this.validations].map(([outcome, value]) => ({ labels: { outcome }, value })),
      },
      {
        name: "tandem_api_requests_in_progress",
        help: "API requests being served now (event streams apart)",
        type: "gauge",
        samples: [{ labels: {}, value: now.request }],
      },
      { name: "tandem_api_event_streams", help: "Open GET /events/stream connections", type: "gauge", samples: [{ labels: {}, value: now.stream }] },
      { name: "tandem_config_validations_in_progress", help: "Validations running now", type: "gauge", samples: [{ labels: {}, value: now.validation }] },
    ];
  }
}
