// SMTP_CHECK's dialogue (keepalived 2.2.7 check_smtp.c smtp_engine_thread), fed the bytes the
// server sends and answering with the line to send next or the verdict: the greeting banner
// must be 220, then "HELO <helo_name>", whose answer must be 250, then "QUIT", after which any
// line at all is a success (keepalived reads one and never looks at it: a 221 is not required,
// but a server that closes without answering QUIT fails). Pure; the socket is
// daemon/check/smtp-probe.ts.
//
// Where keepalived is wrong, this does better, and says so below: it reads multi-line replies
// (RFC 5321 4.2.1; keepalived judges only the first line, so a "220-" banner fails there), it
// accepts a bare "250" line (keepalived keeps the CR and rejects it), and a line longer than
// RFC 5321's 512 bytes fails with that reason (keepalived clears its buffer, logs "Buffer
// overflow", and judges whatever tail follows).
import type { CheckVerdict } from "./http-judge.ts";

/** RFC 5321 4.5.3.1.5: a reply line is at most 512 bytes with its CRLF (keepalived's SMTP_BUFF_MAX). */
export const SMTP_LINE_MAX_BYTES = 512;

/** A multi-line reply longer than this is not a health check's business (real ones have a handful). */
export const SMTP_REPLY_MAX_LINES = 64;

/** How much of what the server said goes into a reason. */
const EXCERPT_MAX_CHARS = 160;

const LF = 0x0a;
const CR = 0x0d;

/** check_smtp.h SMTP_DEFAULT_HELO: the name sent when helo_name is not set. */
export const SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org";

/** What the dialogue waits for: the server's greeting, or its answer to our HELO or QUIT. */
export type SmtpPhase = "banner" | "helo" | "quit";

/** After each read: carry on (sending `send` first, if set), or the check is over. */
export type SmtpStep = { done: false; send?: string } | { done: true; verdict: CheckVerdict };

/** The HELO line keepalived sends. */
export function heloCommand(heloName: string): string {
  return `HELO ${heloName}\r\n`;
}

/**
 * Why a helo_name cannot be sent, if it cannot. keepalived sends any name (the server judges it)
 * but truncates "HELO name\r\n" to its 512-byte buffer, losing the CRLF, so the server waits and
 * every check times out; here such a checker does not run, and says why.
 */
export function heloNameProblem(heloName: string): string | undefined {
  if (heloName.length === 0) return "helo_name is empty";
  // A CR or LF would end the command early and send the rest as another one.
  if (/[\x00-\x1f\x7f]/.test(heloName)) return `helo_name ${JSON.stringify(heloName)} has a control character`;
  const bytes = new TextEncoder().encode(heloCommand(heloName)).length;
  if (bytes > SMTP_LINE_MAX_BYTES) return `helo_name is too long: the HELO line would be ${bytes} bytes; SMTP allows ${SMTP_LINE_MAX_BYTES}`;
  return undefined;
}

/** A line as a log may show it: printable ASCII as it is, anything else escaped, bounded. */
export function sanitisedExcerpt(bytes: Uint8Array, maxChars = EXCERPT_MAX_CHARS): string {
  let text = "";
  for (const byte of bytes) {
    if (text.length >= maxChars) return `${text}...`;
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return text;
}

/** One reply line: the code, and whether more lines follow ("250-..."). */
interface ReplyLine {
  code: number;
  continues: boolean;
  bytes: Uint8Array;
}

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/** RFC 5321 4.2: three digits, then a space, a hyphen (more lines follow) or the end of the line. */
function parseReplyLine(bytes: Uint8Array): ReplyLine | undefined {
  if (!isDigit(bytes[0]) || !isDigit(bytes[1]) || !isDigit(bytes[2])) return undefined;
  const separator = bytes[3];
  if (separator !== undefined && separator !== 0x20 && separator !== 0x2d) return undefined;
  const code = (bytes[0]! - 0x30) * 100 + (bytes[1]! - 0x30) * 10 + (bytes[2]! - 0x30);
  return { code, continues: separator === 0x2d, bytes };
}

const WAITING_FOR: Record<SmtpPhase, string> = { banner: "greeting banner", helo: "answer to HELO", quit: "answer to QUIT" };
const CLOSED_BEFORE: Record<SmtpPhase, string> = { banner: "its greeting banner", helo: "answering HELO", quit: "answering QUIT" };

export class SmtpDialogue {
  private phaseNow: SmtpPhase = "banner";
  /** The line being read, without its LF; never more than a line may hold. */
  private readonly pending = new Uint8Array(SMTP_LINE_MAX_BYTES);
  private pendingLength = 0;
  /** The current reply's lines so far (a multi-line reply's continuations). */
  private replyLines: ReplyLine[] = [];
  private result: CheckVerdict | undefined;
  private readonly said: string[] = [];

  constructor(private readonly heloName: string) {}

  get phase(): SmtpPhase {
    return this.phaseNow;
  }

  /** The reason when the server stays silent too long: "no greeting banner within 1 s". */
  timeoutReason(timeoutMs: number): string {
    return `no ${WAITING_FOR[this.phaseNow]} within ${Number((timeoutMs / 1000).toFixed(3))} s${this.partial()}`;
  }

  /** One read from the server. */
  feed(bytes: Uint8Array): SmtpStep {
    if (this.result) return { done: true, verdict: this.result };
    for (const byte of bytes) {
      if (byte === LF) {
        const step = this.line(this.takePending());
        // The rest of this read is dropped, as keepalived drops it: a server that talks
        // before it is asked must not have its words taken for the answer to what comes next.
        if (step) return step;
        continue;
      }
      if (this.pendingLength >= SMTP_LINE_MAX_BYTES - 1) {
        return this.fail(
          `${this.where()}: a line longer than ${SMTP_LINE_MAX_BYTES} bytes (SMTP's limit), beginning "${sanitisedExcerpt(this.pending.subarray(0, 40))}"`,
        );
      }
      this.pending[this.pendingLength++] = byte;
    }
    return { done: false };
  }

  /** The server closed the connection (keepalived's "Read failure"), even if only QUIT was left. */
  end(): CheckVerdict {
    if (this.result) return this.result;
    return this.fail(`the server closed the connection before ${CLOSED_BEFORE[this.phaseNow]}${this.partial()}`).verdict;
  }

  private takePending(): Uint8Array {
    let length = this.pendingLength;
    if (length > 0 && this.pending[length - 1] === CR) length--;
    this.pendingLength = 0;
    return this.pending.slice(0, length);
  }

  /** A complete line; a step once it completes a reply. */
  private line(bytes: Uint8Array): Extract<SmtpStep, { done: true }> | { done: false; send: string } | undefined {
    // keepalived reads one line after QUIT and succeeds whatever it says.
    if (this.phaseNow === "quit") {
      this.said.push(`QUIT answered ${sanitisedExcerpt(bytes, 60)}`);
      return this.succeed();
    }
    const parsed = parseReplyLine(bytes);
    if (!parsed) return this.fail(`${this.where()}: not an SMTP reply (no 3-digit code): "${sanitisedExcerpt(bytes)}"`);
    const first = this.replyLines[0];
    if (first && first.code !== parsed.code) {
      return this.fail(`${this.where()}: a multi-line reply mixes codes ${first.code} and ${parsed.code}: ${this.excerptWith(parsed)}`);
    }
    this.replyLines.push(parsed);
    if (parsed.continues) {
      if (this.replyLines.length >= SMTP_REPLY_MAX_LINES) return this.fail(`${this.where()}: a reply of more than ${SMTP_REPLY_MAX_LINES} lines`);
      return undefined;
    }
    const excerpt = this.excerptWith();
    this.replyLines = [];
    if (this.phaseNow === "banner") {
      if (parsed.code !== 220) return this.fail(`bad greeting banner: ${excerpt}`);
      this.said.push("greeting 220");
      this.phaseNow = "helo";
      return { done: false, send: heloCommand(this.heloName) };
    }
    if (parsed.code !== 250) return this.fail(`HELO answered ${excerpt}; expected 250`);
    this.said.push("HELO 250");
    this.phaseNow = "quit";
    return { done: false, send: "QUIT\r\n" };
  }

  /** The reply's lines (and one more, not yet kept), as the reason shows them. */
  private excerptWith(extra?: ReplyLine): string {
    const lines = extra ? [...this.replyLines, extra] : this.replyLines;
    const joined: number[] = [];
    for (const [index, line] of lines.entries()) {
      if (index > 0) joined.push(0x20, 0x2f, 0x20); // " / "
      for (const byte of line.bytes) joined.push(byte);
      if (joined.length > EXCERPT_MAX_CHARS) break;
    }
    return sanitisedExcerpt(Uint8Array.from(joined));
  }

  /** What was left unfinished, for a timeout or a close: `(after "220-fir")`. */
  private partial(): string {
    const lines = this.replyLines.map((l) => sanitisedExcerpt(l.bytes, 60));
    if (this.pendingLength > 0) lines.push(sanitisedExcerpt(this.pending.subarray(0, this.pendingLength), 60));
    if (lines.length === 0) return "";
    const text = lines.join(" / ");
    return ` (after "${text.length > EXCERPT_MAX_CHARS ? `${text.slice(0, EXCERPT_MAX_CHARS)}...` : text}")`;
  }

  private where(): string {
    return this.phaseNow === "banner" ? "bad greeting banner" : "bad answer to HELO";
  }

  private fail(reason: string): Extract<SmtpStep, { done: true }> {
    this.result = { ok: false, reason };
    return { done: true, verdict: this.result };
  }

  private succeed(): Extract<SmtpStep, { done: true }> {
    this.result = { ok: true, detail: this.said.join(", ") };
    return { done: true, verdict: this.result };
  }
}
