// Request bodies read with a byte cap (413 beyond it, without buffering the excess), a
// deadline (408 for a client that trickles its body), and decoded as strict UTF-8, so an
// oversized, slow or binary upload is a clear 4xx, not a crash or a held connection.
import type { Clock } from "../common/clock.ts";
import { ApiError } from "./errors.ts";
import { RefusalError } from "./refusal-error.ts";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface BodyLimits {
  maxBytes: number;
  /** The whole body must have arrived this long after reading started. */
  deadlineMs?: number;
  clock?: Pick<Clock, "nowMs" | "at">;
}

function tooLarge(maxBytes: number): RefusalError {
  return new RefusalError("body-too-large", `the limit is ${maxBytes} bytes`);
}

export async function readTextBody(request: Request, limits: BodyLimits | number): Promise<string> {
  const { maxBytes, deadlineMs, clock } = typeof limits === "number" ? { maxBytes: limits } : limits;
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  let expired: Promise<never> | undefined;
  let timer: { cancel(): void } | undefined;
  if (deadlineMs !== undefined && clock) {
    expired = new Promise<never>((_, reject) => {
      timer = clock.at(clock.nowMs() + deadlineMs, () => reject(new RefusalError("body-too-slow", `the whole body must arrive within ${deadlineMs} ms`)));
    });
    expired.catch(() => {});
  }
  try {
    for (;;) {
      const { done, value } = await (expired ? Promise.race([reader.read(), expired]) : reader.read());
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError || error instanceof RefusalError) throw error;
    throw new ApiError(400, "could not read the request body", (error as Error).message);
  } finally {
    timer?.cancel();
    // Stop the upload at once when we gave up on it.
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "the request body is not UTF-8 text");
  }
}

/** The body as JSON; a parse error is the caller's 400. */
export async function readJsonBody(request: Request, limits: BodyLimits | number): Promise<unknown> {
  const text = await readTextBody(request, limits);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "the request body is not valid JSON", (error as Error).message);
  }
}
