// SMTP_CHECK's dialogue on real replies (Debian's OpenSMTPD, recorded in test/fixtures/smtp)
// and on the ways servers go wrong: a wrong banner code, HELO refused, replies split across
// reads or several in one, multi-line replies, an overlong line, garbage, an early close.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  heloCommand,
  heloNameProblem,
  sanitisedExcerpt,
  SMTP_DEFAULT_HELO,
  SMTP_LINE_MAX_BYTES,
  SMTP_REPLY_MAX_LINES,
  SmtpDialogue,
} from "../../../src/check/smtp-dialogue.ts";
import type { CheckVerdict } from "../../../src/check/http-judge.ts";

interface RecordedDialogue {
  banner: string;
  helo?: string;
  quit?: string;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/smtp/opensmtpd-6.8.0.json"), "utf8")) as {
  dialogues: Record<"accepting" | "bannerRefused" | "heloRefused", RecordedDialogue>;
};
const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));
const HELO = heloCommand(SMTP_DEFAULT_HELO);

interface Conversation {
  /** undefined: the dialogue still waits (the server neither finished nor closed). */
  verdict?: CheckVerdict;
  /** What the client sent, in order. */
  sent: string[];
  dialogue: SmtpDialogue;
}

/**
 * Plays a server: each turn's bytes in reads of `piece` bytes, the next turn only once the
 * client has sent its line (as a real server waits for it); then closes if `close`.
 */
function converse(turns: (string | Uint8Array)[], options: { piece?: number; close?: boolean } = {}): Conversation {
  const dialogue = new SmtpDialogue(SMTP_DEFAULT_HELO);
  const sent: string[] = [];
  const piece = options.piece ?? 1 << 16;
  for (const turn of turns) {
    const all = typeof turn === "string" ? bytes(turn) : turn;
    const sentBefore = sent.length;
    for (let at = 0; at < all.length; at += piece) {
      // A line sent before the server's turn is over would be a dialogue out of step.
      expect(sent.length).toBe(sentBefore);
      const step = dialogue.feed(all.subarray(at, at + piece));
      if (step.done) return { verdict: step.verdict, sent, dialogue };
      if (step.send !== undefined) sent.push(step.send);
    }
  }
  return { ...(options.close ? { verdict: dialogue.end() } : {}), sent, dialogue };
}

const turnsOf = (d: RecordedDialogue) => [d.banner, ...(d.helo !== undefined ? [d.helo] : []), ...(d.quit !== undefined ? [d.quit] : [])];

describe("recorded from OpenSMTPD 6.8.0", () => {
  test("a healthy server: banner 220, HELO with keepalived's name, 250, QUIT, and its 221 is a success", () => {
    const c = converse(turnsOf(fixture.dialogues.accepting));
    expect(c.sent).toEqual(["HELO smtpchecker.keepalived.org\r\n", "QUIT\r\n"]);
    expect(c.verdict).toEqual({ ok: true, detail: "greeting 220, HELO 250, QUIT answered 221 2.0.0 Bye" });
  });

  test("the same bytes one at a time, and in reads of 5: lines split across reads", () => {
    for (const piece of [1, 5]) {
      const c = converse(turnsOf(fixture.dialogues.accepting), { piece });
      expect(c.sent).toEqual([HELO, "QUIT\r\n"]);
      expect(c.verdict?.ok).toBe(true);
    }
  });

  test("a 554 banner (the connect filter) fails before anything is sent, with what the server said", () => {
    const c = converse(turnsOf(fixture.dialogues.bannerRefused), { close: true });
    expect(c.sent).toEqual([]);
    expect(c.verdict).toEqual({ ok: false, reason: "bad greeting banner: 554 5.7.1 tandem test: no service" });
  });

  test("HELO refused with 550 (the helo filter): no QUIT, the reply in the reason", () => {
    const c = converse(turnsOf(fixture.dialogues.heloRefused));
    expect(c.sent).toEqual([HELO]);
    expect(c.verdict).toEqual({ ok: false, reason: "HELO answered 550 5.7.1 tandem test: HELO refused; expected 250" });
  });
});

describe("multi-line replies (keepalived 2.2.7 judges only the first line, so it fails these)", () => {
  test('a "220-" greeting in three lines, then an EHLO-style "250-" answer', () => {
    for (const piece of [1, 1 << 16]) {
      const c = converse(
        ["220-rs.test first line\r\n220-second line\r\n220 rs.test ready\r\n", "250-rs.test hello\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "221 bye\r\n"],
        { piece },
      );
      expect(c.sent).toEqual([HELO, "QUIT\r\n"]);
      expect(c.verdict?.ok).toBe(true);
    }
  });

  test("split at every byte, the continuation lines are awaited before HELO is sent", () => {
    const c = converse(["220-rs.test first line\r\n220 ready\r\n"], { piece: 1 });
    expect(c.sent).toEqual([HELO]);
    expect(c.verdict).toBeUndefined();
    expect(c.dialogue.phase).toBe("helo");
    const partial = converse(["220-rs.test first line\r\n220 rea"]);
    expect(partial.sent).toEqual([]);
    expect(partial.dialogue.timeoutReason(1000)).toBe('no greeting banner within 1 s (after "220-rs.test first line / 220 rea")');
  });

  test("a refusal after continuation lines shows them all", () => {
    const c = converse(["554-rs.test is closed\r\n554 go away\r\n"]);
    expect(c.verdict).toEqual({ ok: false, reason: "bad greeting banner: 554-rs.test is closed / 554 go away" });
  });

  test("a reply whose lines disagree on the code is not SMTP", () => {
    const c = converse(["220-rs.test\r\n250 ok\r\n"]);
    expect(c.verdict).toEqual({ ok: false, reason: "bad greeting banner: a multi-line reply mixes codes 220 and 250: 220-rs.test / 250 ok" });
  });

  test(`more than ${SMTP_REPLY_MAX_LINES} lines is a flood, not a banner`, () => {
    const c = converse(["220-more\r\n".repeat(SMTP_REPLY_MAX_LINES + 1)]);
    expect(c.verdict).toEqual({ ok: false, reason: `bad greeting banner: a reply of more than ${SMTP_REPLY_MAX_LINES} lines` });
    expect(converse(["220-more\r\n".repeat(SMTP_REPLY_MAX_LINES - 1) + "220 ok\r\n"]).sent).toEqual([HELO]);
  });
});

describe("lines as servers write them", () => {
  test("several replies in one read: what follows the banner is dropped, not taken for HELO's answer (as keepalived drops it)", () => {
    const c = converse(["220 rs.test\r\n250 too early\r\n", "550 not you\r\n"]);
    expect(c.sent).toEqual([HELO]);
    expect(c.verdict).toEqual({ ok: false, reason: "HELO answered 550 not you; expected 250" });
  });

  test('a bare LF ends a line, and a bare "250" is a reply (keepalived keeps the CR and rejects "250\\r")', () => {
    const c = converse(["220 rs.test\n", "250\r\n", "221\n"]);
    expect(c.verdict).toEqual({ ok: true, detail: "greeting 220, HELO 250, QUIT answered 221" });
  });

  test(`a line of ${SMTP_LINE_MAX_BYTES} bytes with its CRLF is read; one byte more fails, however it is split`, () => {
    const longest = `220 ${"x".repeat(SMTP_LINE_MAX_BYTES - 6)}\r\n`;
    expect(longest.length).toBe(SMTP_LINE_MAX_BYTES);
    expect(converse([longest]).sent).toEqual([HELO]);
    const over = `220 ${"x".repeat(SMTP_LINE_MAX_BYTES - 5)}\r\n`;
    for (const piece of [1, 100, 1000]) {
      const c = converse([over], { piece });
      expect(c.sent).toEqual([]);
      expect(c.verdict).toEqual({ ok: false, reason: `bad greeting banner: a line longer than 512 bytes (SMTP's limit), beginning "220 ${"x".repeat(36)}"` });
    }
  });

  test("an endless line with no newline fails once it passes the limit, without waiting for more", () => {
    const c = converse(["250 ".padEnd(10_000, "y")]);
    expect(c.verdict?.ok).toBe(false);
    expect((c.verdict as { reason: string }).reason).toStartWith("bad greeting banner: a line longer than 512 bytes");
  });

  test("an overlong answer to HELO says so", () => {
    const c = converse(["220 ok\r\n", `250 ${"z".repeat(600)}\r\n`]);
    expect((c.verdict as { reason: string }).reason).toStartWith("bad answer to HELO: a line longer than 512 bytes");
  });
});

describe("what is not SMTP", () => {
  test("an HTTP server on the SMTP port", () => {
    const c = converse(["HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"]);
    expect(c.verdict).toEqual({ ok: false, reason: 'bad greeting banner: not an SMTP reply (no 3-digit code): "HTTP/1.1 400 Bad Request"' });
  });

  test("codes that are not three digits and a separator", () => {
    for (const [line, shown] of [
      ["22O rs.test", "22O rs.test"],
      ["2200 rs.test", "2200 rs.test"],
      [" 220 rs.test", " 220 rs.test"],
      ["+22 rs.test", "+22 rs.test"],
      ["220_rs.test", "220_rs.test"],
      ["", ""],
    ]) {
      expect(converse([`${line}\r\n`]).verdict).toEqual({ ok: false, reason: `bad greeting banner: not an SMTP reply (no 3-digit code): "${shown}"` });
    }
  });

  test("binary garbage is shown escaped", () => {
    const c = converse([Uint8Array.from([0x00, 0xff, 0x1b, 0x5b, 0x5c, 0x0a])]);
    expect(c.verdict).toEqual({ ok: false, reason: 'bad greeting banner: not an SMTP reply (no 3-digit code): "\\x00\\xff\\x1b[\\x5c"' });
  });

  test("garbage answering HELO", () => {
    const c = converse(["220 ok\r\n", "hello there\r\n"]);
    expect(c.verdict).toEqual({ ok: false, reason: 'bad answer to HELO: not an SMTP reply (no 3-digit code): "hello there"' });
  });

  test("a long refusal is bounded in the reason", () => {
    const c = converse([`554 ${"n".repeat(400)}\r\n`]);
    const reason = (c.verdict as { reason: string }).reason;
    expect(reason.length).toBeLessThan(200);
    expect(reason).toEndWith("...");
  });

  test("wrong codes: 421 busy as the banner, 501 to HELO", () => {
    expect(converse(["421 4.3.2 rs.test busy, try later\r\n"]).verdict).toEqual({
      ok: false,
      reason: "bad greeting banner: 421 4.3.2 rs.test busy, try later",
    });
    expect(converse(["220 ok\r\n", "501 5.5.4 syntax: HELO hostname\r\n"]).verdict).toEqual({
      ok: false,
      reason: "HELO answered 501 5.5.4 syntax: HELO hostname; expected 250",
    });
  });
});

describe("after QUIT and at the close", () => {
  test("any line answering QUIT is a success: keepalived reads one line and does not look at it", () => {
    expect(converse(["220 ok\r\n", "250 ok\r\n", "500 what?\r\n"]).verdict).toEqual({ ok: true, detail: "greeting 220, HELO 250, QUIT answered 500 what?" });
  });

  test("a close before QUIT is answered fails (keepalived's Read failure), even with HELO accepted", () => {
    const c = converse(["220 ok\r\n", "250 ok\r\n"], { close: true });
    expect(c.sent).toEqual([HELO, "QUIT\r\n"]);
    expect(c.verdict).toEqual({ ok: false, reason: "the server closed the connection before answering QUIT" });
  });

  test("closes at each step say where, and what had come", () => {
    expect(converse([], { close: true }).verdict).toEqual({ ok: false, reason: "the server closed the connection before its greeting banner" });
    expect(converse(["220 rs.te"], { close: true }).verdict).toEqual({
      ok: false,
      reason: 'the server closed the connection before its greeting banner (after "220 rs.te")',
    });
    expect(converse(["220 ok\r\n"], { close: true }).verdict).toEqual({ ok: false, reason: "the server closed the connection before answering HELO" });
  });

  test("what had come is bounded in the reason too", () => {
    const reason = converse(["220-a long greeting that goes on\r\n".repeat(SMTP_REPLY_MAX_LINES - 1)], { close: true }).verdict as { reason: string };
    expect(reason.reason).toStartWith('the server closed the connection before its greeting banner (after "220-a long greeting that goes on / 220-');
    expect(reason.reason.length).toBeLessThan(260);
  });

  test("once over, the dialogue keeps its verdict", () => {
    const c = converse(["554 no\r\n"]);
    expect(c.dialogue.feed(bytes("220 late\r\n"))).toEqual({ done: true, verdict: c.verdict! });
    expect(c.dialogue.end()).toEqual(c.verdict!);
  });

  test("the timeout's reason names what the server owes", () => {
    const d = new SmtpDialogue("mx.test");
    expect(d.timeoutReason(1000)).toBe("no greeting banner within 1 s");
    expect(d.feed(bytes("220 ok\r\n"))).toEqual({ done: false, send: "HELO mx.test\r\n" });
    expect(d.timeoutReason(1500)).toBe("no answer to HELO within 1.5 s");
    expect(d.feed(bytes("250 ok\r\n"))).toEqual({ done: false, send: "QUIT\r\n" });
    expect(d.timeoutReason(5000)).toBe("no answer to QUIT within 5 s");
  });
});

describe("helo_name", () => {
  test("keepalived's default and a configured name, sent as written", () => {
    expect(HELO).toBe("HELO smtpchecker.keepalived.org\r\n");
    expect(heloNameProblem(SMTP_DEFAULT_HELO)).toBeUndefined();
    expect(heloNameProblem("lb1.example.com")).toBeUndefined();
  });

  test("a name that cannot make one command line", () => {
    expect(heloNameProblem("")).toBe("helo_name is empty");
    expect(heloNameProblem("a\r\nMAIL FROM:<x>")).toBe('helo_name "a\\r\\nMAIL FROM:<x>" has a control character');
    expect(heloNameProblem("h".repeat(SMTP_LINE_MAX_BYTES - 7))).toBeUndefined();
    expect(heloNameProblem("h".repeat(SMTP_LINE_MAX_BYTES - 6))).toBe("helo_name is too long: the HELO line would be 513 bytes; SMTP allows 512");
  });

  test("excerpts escape the backslash too, so an escape in the text cannot pass for one", () => {
    expect(sanitisedExcerpt(bytes("a\\x00b"))).toBe("a\\x5cx00b");
  });
});
