// An HTTP response read as it arrives, for HTTP_GET and SSL_GET: the status line, the
// headers, then the body by its framing: Content-Length, chunked (decoded: keepalived 2.2.7
// hashes the chunk framing itself, so a chunked server's digest never matched there), or to
// the connection's close. The body is hashed (MD5, as keepalived's genhash prints it) as it
// comes and kept only for a url's regex, so memory stays bounded whatever a server sends.
// Pure: bytes in, a result out; the socket is the probe's and so is the hash function
// (daemon/check).

/** The status line and headers must fit in this (keepalived's buffer is 4 KiB; real servers' are rarely above 8). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A body longer than this is not a health page: the check fails rather than read on. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** What a regex is matched against: the body's first bytes. */
export const MAX_REGEX_BYTES = 1024 * 1024;
/** A chunk-size line (hex digits and extensions) longer than this is garbage. */
const MAX_CHUNK_LINE_BYTES = 1024;

export interface HttpResponse {
  status: number;
  /** Bytes of body received (after chunked decoding). */
  bodyBytes: number;
  /** The MD5 of the body, lower-case hex, when asked for. */
  digest?: string;
  /** The body's first MAX_REGEX_BYTES as latin1 text, when asked for. */
  text?: string;
  framing: "length" | "chunked" | "close";
  /** Content-Length said more than arrived before the close. */
  truncated?: { expected: number };
}

export type HttpReadResult = { done: false } | { done: true; response: HttpResponse } | { done: true; rejected: string };

/** An incremental MD5 (the daemon's is Bun's). */
export interface Md5 {
  update(bytes: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

export interface HttpReaderOptions {
  /** Hash the body (a url with a digest). */
  md5?: () => Md5;
  keepText: boolean;
}

type Framing = { kind: "length"; remaining: number; expected: number } | { kind: "chunked" } | { kind: "close" };

const CRLFCRLF = [13, 10, 13, 10];
const HEAD_TOO_LONG = `the response's headers are over ${MAX_HEAD_BYTES / 1024} KiB`;
const latin1 = new TextDecoder("latin1");

function indexOfSequence(bytes: Uint8Array, sequence: readonly number[], from: number): number {
  outer: for (let i = Math.max(0, from); i + sequence.length <= bytes.length; i++) {
    for (let j = 0; j < sequence.length; j++) if (bytes[i + j] !== sequence[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function concatAll(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The status code as keepalived's extract_status_code reads it: after the first space, three
 * digits. keepalived also wants a space after them; a status line without a reason phrase
 * ("HTTP/1.1 200\r\n", which RFC 9112 allows) is accepted here too.
 */
export function statusCodeOf(statusLine: string): number | undefined {
  const match = /^\S+ (\d{3})(?: |$)/.exec(statusLine);
  return match ? Number(match[1]) : undefined;
}

/** Headers as name (lower case) -> values, in order; folded or malformed lines are refused. */
function parseHeaders(lines: readonly string[]): Map<string, string[]> | string {
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || /\s/.test(line[0]!)) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return `malformed header name ${JSON.stringify(name.slice(0, 80))}`;
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return headers;
}

/** RFC 9112 6.3: chunked when it is the last transfer coding; else a single valid Content-Length; else to the close. */
function framingOf(status: number, headers: Map<string, string[]>): Framing | string {
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { kind: "length", remaining: 0, expected: 0 };
  const codings = (headers.get("transfer-encoding") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  if (codings.length > 0) {
    if (codings.at(-1) === "chunked") return { kind: "chunked" };
    return { kind: "close" };
  }
  const lengths = headers.get("content-length");
  if (lengths) {
    const distinct = new Set(lengths.flatMap((v) => v.split(",")).map((v) => v.trim()));
    const [only] = distinct;
    if (distinct.size !== 1 || !/^\d{1,15}$/.test(only!)) return `invalid Content-Length ${JSON.stringify(lengths.join(", ").slice(0, 80))}`;
    const expected = Number(only);
    return { kind: "length", remaining: expected, expected };
  }
  return { kind: "close" };
}

/**
 * Feed it what the socket reads, then end() at the close. done: true with a response once the
 * framing says the body is complete (a length or the last chunk: no need to wait for the
 * server to close), or with a rejection saying what was wrong.
 */
export class HttpResponseReader {
  /** The body's bytes not read yet (a chunk-size line cut in two); bounded by the chunk line. */
  private pending: Uint8Array = new Uint8Array(0);
  /**
   * The head's bytes so far, each read's kept apart and joined once the head is complete: a
   * head that comes a byte at a time costs its length, not its length squared.
   */
  private headParts: Uint8Array[] = [];
  private headBytes = 0;
  /** How many bytes of CRLFCRLF the head's last bytes are, so a read scans only its own bytes. */
  private terminatorMatched = 0;
  private status: number | undefined;
  private framing: Framing | undefined;
  private bodyBytes = 0;
  private readonly hasher: Md5 | undefined;
  private textParts: Uint8Array[] = [];
  private textBytes = 0;
  private chunk: { state: "size" } | { state: "data"; remaining: number } | { state: "data-end" } | { state: "trailers" } = { state: "size" };
  private finished: HttpReadResult | undefined;

  constructor(private readonly options: HttpReaderOptions) {
    this.hasher = options.md5?.();
  }

  feed(bytes: Uint8Array): HttpReadResult {
    if (this.finished) return this.finished;
    if (this.status === undefined) {
      // What follows the head, if it ends in these bytes, becomes `pending`.
      const head = this.readHead(bytes);
      if (head !== undefined) return head;
      if (this.status === undefined) return { done: false };
    } else this.pending = concat(this.pending, bytes);
    return this.readBody();
  }

  /** The connection closed. */
  end(): HttpReadResult {
    if (this.finished) return this.finished;
    if (this.status === undefined) {
      return this.finish(
        this.headBytes === 0 ? { done: true, rejected: "no data received" } : { done: true, rejected: "the response ended inside its headers" },
      );
    }
    const framing = this.framing!;
    if (framing.kind === "close") return this.complete();
    if (framing.kind === "chunked") return this.finish({ done: true, rejected: `the chunked body ended early (after ${this.bodyBytes} bytes)` });
    return this.complete({ expected: framing.expected });
  }

  /**
   * Looks for the CRLFCRLF that ends the head in this read's bytes only, carrying a match cut
   * between reads. The head (without the CRLFCRLF) may be MAX_HEAD_BYTES long; it is refused
   * as soon as the bytes so far prove it longer, the same wherever the reads cut it.
   */
  private readHead(bytes: Uint8Array): HttpReadResult | undefined {
    let matched = this.terminatorMatched;
    let end = -1;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      // CRLFCRLF's only self-overlap is a CR: a mismatch restarts at 1 on a CR, else at 0.
      matched = byte === CRLFCRLF[matched] ? matched + 1 : byte === 13 ? 1 : 0;
      if (matched === 4) {
        end = i + 1;
        break;
      }
      // The earliest the head can end is where the bytes matched so far began.
      if (this.headBytes + i + 1 - matched > MAX_HEAD_BYTES) return this.finish({ done: true, rejected: HEAD_TOO_LONG });
    }
    this.terminatorMatched = matched;
    const ours = end < 0 ? bytes : bytes.subarray(0, end);
    if (ours.length > 0) this.headParts.push(ours.slice());
    this.headBytes += ours.length;
    if (end < 0) return undefined;
    const head = this.headParts.length === 1 ? this.headParts[0]! : concatAll(this.headParts, this.headBytes);
    this.headParts = [];
    const [statusLine = "", ...headerLines] = latin1.decode(head.subarray(0, head.length - 4)).split("\r\n");
    const status = statusCodeOf(statusLine);
    if (status === undefined || !statusLine.startsWith("HTTP/")) {
      return this.finish({ done: true, rejected: `not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 80))}` });
    }
    const headers = parseHeaders(headerLines);
    if (typeof headers === "string") return this.finish({ done: true, rejected: headers });
    const framing = framingOf(status, headers);
    if (typeof framing === "string") return this.finish({ done: true, rejected: framing });
    this.status = status;
    this.framing = framing;
    this.pending = bytes.subarray(end);
    return undefined;
  }

  private readBody(): HttpReadResult {
    const framing = this.framing!;
    if (framing.kind === "close") {
      this.take(this.pending);
      this.pending = new Uint8Array(0);
    } else if (framing.kind === "length") {
      const n = Math.min(framing.remaining, this.pending.length);
      this.take(this.pending.subarray(0, n));
      framing.remaining -= n;
      // Anything past the length is not this response's (a server that sends more is ignored, as a client would).
      this.pending = new Uint8Array(0);
      if (framing.remaining === 0) return this.complete();
    } else {
      const chunked = this.readChunks();
      if (chunked) return chunked;
    }
    if (this.bodyBytes > MAX_BODY_BYTES) return this.finish({ done: true, rejected: `the body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB` });
    return { done: false };
  }

  /** RFC 9112 7.1: size line (hex, optional extensions), data, CRLF; a 0 chunk, trailers, an empty line. */
  private readChunks(): HttpReadResult | undefined {
    for (;;) {
      if (this.chunk.state === "data") {
        const n = Math.min(this.chunk.remaining, this.pending.length);
        this.take(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        this.chunk.remaining -= n;
        if (this.chunk.remaining > 0) return undefined;
        this.chunk = { state: "data-end" };
        continue;
      }
      const lineEnd = indexOfSequence(this.pending, [13, 10], 0);
      if (lineEnd < 0) {
        if (this.pending.length > MAX_CHUNK_LINE_BYTES) return this.finish({ done: true, rejected: "a chunk-size line is too long" });
        return undefined;
      }
      const line = latin1.decode(this.pending.subarray(0, lineEnd));
      this.pending = this.pending.subarray(lineEnd + 2);
      if (this.chunk.state === "data-end") {
        if (line !== "") return this.finish({ done: true, rejected: "a chunk's data is not followed by CRLF" });
        this.chunk = { state: "size" };
      } else if (this.chunk.state === "size") {
        const match = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (!match) return this.finish({ done: true, rejected: `invalid chunk size ${JSON.stringify(line.slice(0, 40))}` });
        const size = parseInt(match[1]!, 16);
        if (this.bodyBytes + size > MAX_BODY_BYTES) return this.finish({ done: true, rejected: `the body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB` });
        this.chunk = size === 0 ? { state: "trailers" } : { state: "data", remaining: size };
      } else if (line === "") {
        return this.complete();
      } else if (line.length > MAX_CHUNK_LINE_BYTES) {
        return this.finish({ done: true, rejected: "a trailer line is too long" });
      }
    }
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.bodyBytes += bytes.length;
    this.hasher?.update(bytes);
    if (this.options.keepText && this.textBytes < MAX_REGEX_BYTES) {
      const kept = bytes.subarray(0, MAX_REGEX_BYTES - this.textBytes);
      this.textParts.push(kept.slice());
      this.textBytes += kept.length;
    }
  }

  private complete(truncatedFrom?: { expected: number }): HttpReadResult {
    const truncated = truncatedFrom && this.bodyBytes < truncatedFrom.expected ? truncatedFrom : undefined;
    const response: HttpResponse = {
      status: this.status!,
      bodyBytes: this.bodyBytes,
      framing: this.framing!.kind,
      ...(this.hasher ? { digest: this.hasher.digest() } : {}),
      ...(this.options.keepText ? { text: this.textParts.map((p) => latin1.decode(p)).join("") } : {}),
      ...(truncated ? { truncated } : {}),
    };
    return this.finish({ done: true, response });
  }

  private finish(result: HttpReadResult): HttpReadResult {
    this.finished = result;
    this.pending = new Uint8Array(0);
    this.headParts = [];
    return result;
  }
}
