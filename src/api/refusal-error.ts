// The exception that carries a refusal (a limit or a token, refusals.ts) out of a handler,
// so the app answers it with its status and counts it like every other refusal.
import type { RefusalReason } from "./refusals.ts";

export class RefusalError extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    /** Overrides the reason's usual error line (refusals.ts) where a sharper one exists. */
    readonly error?: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = "RefusalError";
  }
}
