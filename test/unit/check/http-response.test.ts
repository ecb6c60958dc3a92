// The response reader and the url's verdict on real replies (Debian's nginx, recorded in
// test/fixtures/http), and on the ways servers go wrong: a wrong status, a wrong digest, a
// truncated body, garbage, a flood. The digests agree with keepalived's genhash on the same
// server, except for a chunked body, which keepalived hashes with its framing.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { judgeHttpResponse, type HttpUrlExpectation } from "../../../src/check/http-judge.ts";
import {
  HttpResponseReader,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
  statusCodeOf,
  type HttpReaderOptions,
  type HttpReadResult,
} from "../../../src/check/http-response.ts";
import { bunMd5 } from "../../../src/daemon/check/connection-probes.ts";

const fixture = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/http/nginx-1.22.1-replies.json"), "utf8")) as {
  replies: Record<string, string>;
  genhash: Record<string, string>;
};
const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));

/** Feeds the reply in pieces of `piece` bytes, then the close unless the reader finished first. */
const WITH_BODY: HttpReaderOptions = { md5: bunMd5, keepText: true };

function read(reply: string | Uint8Array, options = WITH_BODY, piece = 7): Extract<HttpReadResult, { done: true }> {
  const reader = new HttpResponseReader(options);
  const all = typeof reply === "string" ? bytes(reply) : reply;
  for (let at = 0; at < all.length; at += piece) {
    const result = reader.feed(all.subarray(at, at + piece));
    if (result.done) return result;
  }
  return reader.end() as Extract<HttpReadResult, { done: true }>;
}

const url = (over: Partial<HttpUrlExpectation> = {}): HttpUrlExpectation => ({ path: "/", statusCodes: [], ...over });

describe("HttpResponseReader on nginx's replies", () => {
  test("Content-Length: the body ends at its length, without waiting for the close; the digest is genhash's", () => {
    const reader = new HttpResponseReader({ md5: bunMd5, keepText: false });
    const result = reader.feed(bytes(fixture.replies["static-1.0"]!));
    expect(result).toEqual({ done: true, response: { status: 200, bodyBytes: 34, framing: "length", digest: fixture.genhash["/index.html 1.0"] } });
  });

  test("chunked over HTTP/1.1: decoded; the digest is the page's (genhash hashes the chunk framing)", () => {
    const result = read(fixture.replies["ssi-1.1"]!);
    expect("response" in result && result.response).toMatchObject({ status: 200, framing: "chunked", text: "<html>127.0.0.1 HTTP/1.1</html>\n" });
    const digest = "response" in result ? result.response.digest : undefined;
    expect(digest).toBe(new Bun.CryptoHasher("md5").update("<html>127.0.0.1 HTTP/1.1</html>\n").digest("hex"));
    expect(digest).not.toBe(fixture.genhash["/ssi.html 1.1"]);
  });

  test("to the close over HTTP/1.0: the same digest as genhash", () => {
    const result = read(fixture.replies["ssi-1.0"]!);
    expect("response" in result && result.response).toMatchObject({ framing: "close", digest: fixture.genhash["/ssi.html 1.0"] });
  });

  test("every recorded reply reads the same whatever the pieces it arrives in", () => {
    for (const reply of Object.values(fixture.replies)) {
      const whole = read(reply, undefined, 1 << 20);
      for (const piece of [1, 2, 3, 5, 64]) expect(read(reply, undefined, piece)).toEqual(whole);
    }
  });
});

describe("judgeHttpResponse", () => {
  test("the default status range is 200-299", () => {
    expect(judgeHttpResponse(url(), read(fixture.replies["text-1.0"]!))).toEqual({ ok: true, detail: "status 200" });
    expect(judgeHttpResponse(url(), read(fixture.replies["down-1.0"]!))).toEqual({ ok: false, reason: "status 503; expected 200-299" });
    expect(judgeHttpResponse(url(), read(fixture.replies["missing-1.0"]!))).toEqual({ ok: false, reason: "status 404; expected 200-299" });
  });

  test("status_code ranges replace the default", () => {
    const expect404 = url({
      statusCodes: [
        { from: 404, to: 404 },
        { from: 500, to: 599 },
      ],
    });
    expect(judgeHttpResponse(expect404, read(fixture.replies["missing-1.0"]!)).ok).toBe(true);
    expect(judgeHttpResponse(expect404, read(fixture.replies["down-1.0"]!)).ok).toBe(true);
    expect(judgeHttpResponse(expect404, read(fixture.replies["text-1.0"]!))).toEqual({ ok: false, reason: "status 200; expected 404,500-599" });
  });

  test("digest: genhash's value passes, any other fails with both values", () => {
    const good = fixture.genhash["/status 1.0"]!;
    expect(judgeHttpResponse(url({ digest: good.toUpperCase() }), read(fixture.replies["text-1.0"]!))).toEqual({ ok: true, detail: "MD5 digest matched" });
    expect(judgeHttpResponse(url({ digest: "0".repeat(32) }), read(fixture.replies["text-1.0"]!))).toEqual({
      ok: false,
      reason: `MD5 digest ${good}; expected ${"0".repeat(32)}`,
    });
  });

  test("regex on the body", () => {
    expect(judgeHttpResponse(url({ regex: { regex: /ok from rs\d/g } }), read(fixture.replies["text-1.0"]!))).toEqual({ ok: true, detail: "regex matched" });
    expect(judgeHttpResponse(url({ regex: { regex: /healthy/g } }), read(fixture.replies["text-1.0"]!))).toEqual({
      ok: false,
      reason: "regex healthy did not match",
    });
  });

  test("a body cut short of its Content-Length fails where the body is judged, and passes a status-only url (keepalived only logs it)", () => {
    const reply = fixture.replies["static-1.0"]!;
    const cut = read(reply.slice(0, reply.length - 10));
    expect(judgeHttpResponse(url({ digest: fixture.genhash["/index.html 1.0"] }), cut)).toEqual({
      ok: false,
      reason: "the body ended after 24 of its 34 bytes",
    });
    expect(judgeHttpResponse(url(), cut).ok).toBe(true);
  });
});

describe("HttpResponseReader on broken servers", () => {
  test("nothing at all, or the close inside the headers", () => {
    expect(read("")).toEqual({ done: true, rejected: "no data received" });
    expect(read("HTTP/1.1 200 OK\r\nContent-Le")).toEqual({ done: true, rejected: "the response ended inside its headers" });
  });

  test("garbage instead of a status line", () => {
    expect(read("SSH-2.0-OpenSSH_9.2p1\r\n\r\n")).toEqual({ done: true, rejected: 'not an HTTP status line: "SSH-2.0-OpenSSH_9.2p1"' });
    expect(read("HTTP/1.1 2OO OK\r\n\r\n")).toMatchObject({ rejected: expect.stringContaining("not an HTTP status line") });
  });

  test("malformed headers and framing", () => {
    expect(read("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")).toEqual({ done: true, rejected: 'malformed header line "no colon here"' });
    expect(read("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello")).toMatchObject({ rejected: expect.stringContaining("invalid Content-Length") });
    expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toEqual({ done: true, rejected: 'invalid chunk size "zz"' });
    expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n")).toEqual({
      done: true,
      rejected: "a chunk's data is not followed by CRLF",
    });
    expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")).toEqual({
      done: true,
      rejected: "the chunked body ended early (after 3 bytes)",
    });
  });

  test("chunk extensions and trailers are read past", () => {
    const result = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;name=x\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n");
    expect("response" in result && result.response).toMatchObject({ bodyBytes: 3, text: "abc" });
  });

  test("a status line without a reason phrase is accepted (RFC 9112 allows it)", () => {
    expect(statusCodeOf("HTTP/1.1 200")).toBe(200);
    expect(statusCodeOf("HTTP/1.1 200 OK")).toBe(200);
    expect(statusCodeOf("HTTP/1.1 2000 OK")).toBeUndefined();
  });

  test("204 and 304 have no body, whatever follows", () => {
    const reader = new HttpResponseReader({ keepText: false });
    expect(reader.feed(bytes("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"))).toMatchObject({ done: true, response: { status: 204, bodyBytes: 0 } });
  });

  test("bounded: headers past 64 KiB and bodies past 16 MiB fail instead of being read on", () => {
    expect(read(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_HEAD_BYTES)}`, undefined, 4096)).toEqual({
      done: true,
      rejected: "the response's headers are over 64 KiB",
    });
    const reader = new HttpResponseReader(WITH_BODY);
    reader.feed(bytes("HTTP/1.0 200 OK\r\n\r\n"));
    const block = new Uint8Array(1 << 20);
    let last: HttpReadResult = { done: false };
    for (let i = 0; i <= MAX_BODY_BYTES / block.length && !last.done; i++) last = reader.feed(block);
    expect(last).toEqual({ done: true, rejected: "the body is over 16 MiB" });
    expect(read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY_BYTES + 1).toString(16)}\r\n`)).toEqual({
      done: true,
      rejected: "the body is over 16 MiB",
    });
  });
});

describe("the head, however it is cut", () => {
  /** A status line and headers of exactly `length` bytes, CRLFCRLF not counted, then a body of "ok". */
  function headOf(length: number): string {
    const start = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: test\r\n";
    const last = "X-Pad: ";
    const head = start + last + "a".repeat(length - start.length - last.length);
    expect(head.length).toBe(length);
    return head;
  }
  const response: HttpReadResult = {
    done: true,
    response: { status: 200, bodyBytes: 2, framing: "length", text: "ok", digest: new Bun.CryptoHasher("md5").update("ok").digest("hex") },
  };

  test("a head of MAX_HEAD_BYTES read a byte at a time parses as it does whole, in linear time", () => {
    const reply = `${headOf(MAX_HEAD_BYTES)}\r\n\r\nok`;
    expect(read(reply, undefined, 1 << 20)).toEqual(response);
    const startMs = performance.now();
    expect(read(reply, undefined, 1)).toEqual(response);
    const tookMs = performance.now() - startMs;
    // About 30 ms here; joining and rescanning the head at each byte (the reader before) took 4.7 s.
    expect(tookMs).toBeLessThan(1_000);
    for (const piece of [2, 3, 4096]) expect(read(reply, undefined, piece)).toEqual(response);
  });

  test("one byte more is refused whole or a byte at a time, at the byte that proves it, before its end comes", () => {
    const reply = `${headOf(MAX_HEAD_BYTES + 1)}\r\n\r\nok`;
    const rejected: HttpReadResult = { done: true, rejected: "the response's headers are over 64 KiB" };
    expect(read(reply, undefined, 1 << 20)).toEqual(rejected);
    expect(read(reply, undefined, 1)).toEqual(rejected);
    const reader = new HttpResponseReader(WITH_BODY);
    const all = bytes(reply);
    let fed = 0;
    while (!reader.feed(all.subarray(fed, fed + 1)).done) fed++;
    expect(fed + 1).toBe(MAX_HEAD_BYTES + 1);
  });

  test("CRLFCRLF cut at each of its points, and runs of CR and LF that almost end it, read the same as whole", () => {
    const replies = [
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nX: \r\n\n\r\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\n\r\n\r\nok",
    ];
    for (const reply of replies) {
      const whole = read(reply, undefined, 1 << 20);
      for (let cut = 1; cut < reply.length; cut++) {
        const reader = new HttpResponseReader(WITH_BODY);
        const first = reader.feed(bytes(reply.slice(0, cut)));
        const result = first.done ? first : reader.feed(bytes(reply.slice(cut)));
        expect(result.done ? result : reader.end()).toEqual(whole);
      }
    }
    expect(read(replies[0]!)).toEqual(response);
  });
});
