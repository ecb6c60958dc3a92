// Diagnostics with file:line:col, collected per parse (no global state) and formatted for people.
// Bounded: a file of 900,000 stray braces gives a few hundred diagnostics and one line
// counting the rest, and a message quoting a 64 KiB token is cut.

import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic extends SourceLocation {
  severity: Severity;
  message: string;
}

/** "file:line:col: error: message", the shape editors and CI annotators understand. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

export interface DiagnosticsLimits {
  /** Diagnostics kept of each severity. */
  diagnosticsPerSeverity: number;
  messageChars: number;
}

/** Collects the diagnostics of one parse. */
export class Diagnostics {
  private readonly kept: Diagnostic[] = [];
  private readonly counts = { error: 0, warning: 0 };
  private firstDropped: SourceLocation | undefined;

  constructor(private readonly limits: DiagnosticsLimits = DEFAULT_CONFIG_LIMITS) {}

  error(at: SourceLocation, message: string): void {
    this.add("error", at, message);
  }

  warn(at: SourceLocation, message: string): void {
    this.add("warning", at, message);
  }

  get hasErrors(): boolean {
    return this.counts.error > 0;
  }

  /** Errors reported so far, kept or not. */
  get errorCount(): number {
    return this.counts.error;
  }

  /** What was kept, in order, and a closing line counting what was not. */
  get list(): Diagnostic[] {
    const dropped = this.dropped();
    if (!this.firstDropped || dropped.error + dropped.warning === 0) return [...this.kept];
    const parts = [dropped.error ? `${dropped.error} more error(s)` : "", dropped.warning ? `${dropped.warning} more warning(s)` : ""].filter(Boolean);
    const summary: Diagnostic = {
      severity: dropped.error ? "error" : "warning",
      ...locationOf(this.firstDropped),
      message: `${parts.join(" and ")} not shown (only the first ${this.limits.diagnosticsPerSeverity} of each kind are kept); the first of them is here`,
    };
    return [...this.kept, summary];
  }

  private dropped(): { error: number; warning: number } {
    const keptOf = (s: Severity) => Math.min(this.counts[s], this.limits.diagnosticsPerSeverity);
    return { error: this.counts.error - keptOf("error"), warning: this.counts.warning - keptOf("warning") };
  }

  private add(severity: Severity, at: SourceLocation, message: string): void {
    const count = ++this.counts[severity];
    if (count > this.limits.diagnosticsPerSeverity) {
      this.firstDropped ??= locationOf(at);
      return;
    }
    const max = this.limits.messageChars;
    const text = message.length > max ? `${message.slice(0, max)}... (message cut at ${max} characters)` : message;
    this.kept.push({ severity, file: at.file, line: at.line, col: at.col, message: text });
  }
}

export function locationOf(at: SourceLocation): SourceLocation {
  return { file: at.file, line: at.line, col: at.col };
}
