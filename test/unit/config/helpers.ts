// Test helpers: parse in-memory keepalived.conf files and show diagnostics as "file:line:col: severity: message".

import { formatDiagnostic, memoryFiles, parseConfig, type ParseResult } from "../../../src/config/index.ts";

export const MAIN = "/etc/keepalived/keepalived.conf";

export interface Parsed extends ParseResult {
  /** Diagnostics formatted, with the /etc/keepalived/ prefix removed for brevity. */
  messages: string[];
  errors: string[];
  warnings: string[];
}

export function parseFiles(files: Record<string, string>, options: { configId?: string; entry?: string; maxIncludeDepth?: number } = {}): Parsed {
  const result = parseConfig(options.entry ?? MAIN, { ...memoryFiles(files), configId: options.configId, maxIncludeDepth: options.maxIncludeDepth });
  const messages = result.diagnostics.map((d) => formatDiagnostic(d).replace("/etc/keepalived/", ""));
  return {
    ...result,
    messages,
    errors: messages.filter((m) => m.includes(": error: ")),
    warnings: messages.filter((m) => m.includes(": warning: ")),
  };
}

export function parseText(text: string, options: { configId?: string } = {}): Parsed {
  return parseFiles({ [MAIN]: text }, options);
}

/** A minimal valid instance body, for tests that vary one keyword. */
export function instance(extra: string, name = "VI_1", vrid = 51): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n${extra}\n}\n`;
}
