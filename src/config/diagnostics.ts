// Diagnostics with file:line:col, collected per parse (no global state) and formatted for people.

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

/** Collects the diagnostics of one parse. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(at: SourceLocation, message: string): void {
    this.list.push({ severity: "error", file: at.file, line: at.line, col: at.col, message });
  }

  warn(at: SourceLocation, message: string): void {
    this.list.push({ severity: "warning", file: at.file, line: at.line, col: at.col, message });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
}

export function locationOf(at: SourceLocation): SourceLocation {
  return { file: at.file, line: at.line, col: at.col };
}
