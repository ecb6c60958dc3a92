// Public surface of the keepalived.conf front end.

export { parseConfig, type ParseOptions, type ParseResult } from "./parse-config.ts";
export { formatDiagnostic, type Diagnostic, type Severity, type SourceLocation } from "./diagnostics.ts";
export { memoryFiles, type FilePort, type GlobResult, type ReadResult } from "./file-port.ts";
export { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from "./limits.ts";
export { nodeFiles } from "./node-files.ts";
export { keywordSupport, renderKeywordMarkdown, renderKeywordSummary, type KeywordSupport } from "./keyword-support.ts";
export type { KeywordStatus } from "./keyword-table.ts";
export type * from "./model.ts";
