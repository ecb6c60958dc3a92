// Request bodies read with a byte cap (413 beyond it, without buffering the excess) and
// decoded as strict UTF-8, so an oversized or binary upload is a clear 4xx, not a crash.
import { ApiError } from "./errors.ts";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "request body too large", `the limit is ${maxBytes} bytes`);
}

export async function readTextBody(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, "could not read the request body", (error as Error).message);
  } finally {
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
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readTextBody(request, maxBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "the request body is not valid JSON", (error as Error).message);
  }
}
