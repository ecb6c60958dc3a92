// The bounds of the config front end: every way a keepalived.conf can grow while it is
// read (includes, parameter substitution, ~SEQ, nesting, diagnostics) has a limit here,
// so no input, however hostile, can make a parse run long or take memory without bound.
// keepalived's own parser is stricter on lines (1,023 characters, silently split), so
// every file keepalived reads fits inside these.

export interface ConfigLimits {
  /** Largest single file read (the entry file or an include). */
  fileBytes: number;
  /** All bytes read by one parse, every include counted each time it is read. */
  totalBytes: number;
  /** Files open inside one another (cycles are refused separately). */
  includeDepth: number;
  /** Files read by one parse, repeats included. */
  includedFiles: number;
  /** Alternatives one include pattern may expand to (`{a,b}{c,d}` is 4). */
  braceAlternatives: number;
  /** Directory entries an include glob may examine. */
  globEntries: number;
  /** A physical line, and a line after parameter substitution. */
  lineChars: number;
  /** Rounds of parameter substitution on one line (substitution is recursive). */
  substitutionPasses: number;
  /** Multi-line definitions expanding into lines that expand again. */
  expansionDepth: number;
  /** Values of one ~SEQ. */
  sequenceValues: number;
  /**
   * Work one parse may do on lines, in characters: each line the preprocessor handles
   * (read, substituted or repeated by ~SEQ) costs its length plus one. The budget is
   * `expansionFloorChars + expansionFactor x bytes read`: a file costs about its size, so
   * what substitution, multi-line definitions and ~SEQ may add beyond the files is
   * 1 MiB plus half their size (tens of thousands of generated lines; the time a parse
   * takes stays within a small multiple of its input's).
   */
  expansionFloorChars: number;
  expansionFactor: number;
  /** `{ }` blocks open inside one another (keepalived's deepest is 4). */
  blockDepth: number;
  /** Diagnostics kept of each severity; the rest are counted in one closing line. */
  diagnosticsPerSeverity: number;
  /** Characters of one diagnostic message (long tokens quoted in it are cut). */
  messageChars: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_CONFIG_LIMITS: Readonly<ConfigLimits> = Object.freeze({
  fileBytes: 16 * MiB,
  totalBytes: 32 * MiB,
  includeDepth: 32,
  includedFiles: 1024,
  braceAlternatives: 256,
  globEntries: 10_000,
  lineChars: 64 * KiB,
  substitutionPasses: 32,
  expansionDepth: 32,
  sequenceValues: 10_000,
  expansionFloorChars: 1 * MiB,
  expansionFactor: 1.5,
  blockDepth: 32,
  diagnosticsPerSeverity: 200,
  messageChars: 400,
});

/** Human sizes for limit messages: "64 KiB", "16 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}
