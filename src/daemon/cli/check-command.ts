// `tandem check` / `tandem -t`: validate a keepalived.conf and print its diagnostics as
// file:line:col. Exit status like keepalived -t: 0 when valid, 4 on configuration errors.
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { formatDiagnostic, nodeFiles, parseConfig } from "../../config/index.ts";

export const EXIT_CONFIG_ERROR = 4;

export function checkCommand(configFile: string, configId: string | undefined, logFile: string | undefined): number {
  const { config, diagnostics } = parseConfig(configFile, { ...nodeFiles, configId: configId ?? hostname() });
  const lines = diagnostics.map(formatDiagnostic);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const summary = config
    ? `${configFile}: configuration is valid: ${config.vrrpInstances.length} VRRP instance(s), ${config.syncGroups.length} sync group(s), ${config.virtualServers.length} virtual server(s)${warnings ? `, ${warnings} warning(s)` : ""}`
    : `${configFile}: ${errors} error(s), ${warnings} warning(s)`;
  const text = [...lines, summary].join("\n") + "\n";
  if (logFile) writeFileSync(logFile, text);
  else process.stderr.write(text);
  return config ? 0 : EXIT_CONFIG_ERROR;
}
