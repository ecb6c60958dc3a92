// parseConfig: keepalived.conf text (through a FilePort) -> validated Config plus diagnostics.

import { checkDuplicateVrids, checkSyncGroups, checkVirtualServerRefs, resolveTrackRefs } from "./cross-checks.ts";
import { Diagnostics, type Diagnostic } from "./diagnostics.ts";
import type { FilePort } from "./file-port.ts";
import { runBlock } from "./keyword-table.ts";
import { checkGlobalDefs } from "./global-defs.ts";
import { resolveLvsSyncDaemon } from "./lvs-globals.ts";
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from "./limits.ts";
import type { Config } from "./model.ts";
import { preprocessInto } from "./preprocessor.ts";
import { StatementBuilder, type Statement } from "./statement-tree.ts";
import { finishSyncGroup } from "./sync-group.ts";
import { newConfigDraft, topLevelBlock } from "./top-level.ts";
import { finishTrackFile } from "./track-file.ts";
import { finishVirtualServer } from "./virtual-server-finish.ts";
import { finishInstance } from "./vrrp-instance-draft.ts";
import { finishVrrpScript } from "./vrrp-script.ts";

export interface ParseOptions extends FilePort {
  /** keepalived's `-i` config id for `@id` lines; undefined matches no `@id`. */
  configId?: string;
  maxIncludeDepth?: number;
  /** Bounds on everything the front end does (limits.ts); the defaults suit any real file. */
  limits?: ConfigLimits;
}

export interface ParseResult {
  /** Undefined iff at least one diagnostic is an error. */
  config: Config | undefined;
  diagnostics: Diagnostic[];
}

export function parseConfig(entryPath: string, options: ParseOptions): ParseResult {
  const limits = options.limits ?? DEFAULT_CONFIG_LIMITS;
  const diag = new Diagnostics(limits);
  const builder = new StatementBuilder(diag, limits.blockDepth);
  preprocessInto(entryPath, { files: options, configId: options.configId, maxIncludeDepth: options.maxIncludeDepth, limits }, diag, (line) =>
    builder.add(line),
  );
  const statements = builder.finish();
  const config = buildModel(statements, diag);
  return { config: diag.hasErrors ? undefined : config, diagnostics: diag.list };
}

/** The semantic stage: the keyword tree through the keyword tables into the validated model. */
export function buildModel(statements: Statement[], diag: Diagnostics): Config {
  const draft = newConfigDraft();
  runBlock(topLevelBlock, statements, draft, diag);

  checkGlobalDefs(draft.globalDefs, diag);
  const vrrpScripts = draft.vrrpScripts.flatMap((s) => finishVrrpScript(s, diag) ?? []);
  const trackFiles = draft.trackFiles.flatMap((f) => finishTrackFile(f, diag) ?? []);
  const finished = draft.vrrpInstances.flatMap((i) => finishInstance(i, draft.globalDefs.vrrpVersion, diag) ?? []);
  checkDuplicateVrids(finished, diag);
  const vrrpInstances = resolveTrackRefs(finished, vrrpScripts, trackFiles, diag);
  const globalDefs = resolveLvsSyncDaemon(draft.globalDefs, vrrpInstances, diag);
  checkSyncGroups(draft.syncGroups, new Set(draft.vrrpInstances.map((i) => i.name)), diag);
  const syncGroups = draft.syncGroups.flatMap((g) => finishSyncGroup(g, diag) ?? []);
  const groups = new Map(draft.virtualServerGroups.map((g) => [g.name, g]));
  const virtualServers = draft.virtualServers.flatMap((vs) => finishVirtualServer(vs, groups, diag) ?? []);
  checkVirtualServerRefs(virtualServers, trackFiles, diag);
  const ssl = draft.ssl ? { ssl: draft.ssl } : {};
  return { globalDefs, vrrpScripts, trackFiles, vrrpInstances, syncGroups, virtualServerGroups: draft.virtualServerGroups, virtualServers, ...ssl };
}
