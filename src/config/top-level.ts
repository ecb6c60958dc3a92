// The top-level keyword table: which blocks a keepalived.conf may contain, collected as drafts.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { locationOf } from "./diagnostics.ts";
import { defaultGlobalDefs, globalDefsBlock } from "./global-defs.ts";
import { defineBlock, ignored, keyword, nestedBlock, setField, type Keyword, type KeywordBlock } from "./keyword-table.ts";
import type { GlobalDefs, SslSettings, VirtualServerGroup } from "./model.ts";
import type { Statement } from "./statement-tree.ts";
import { syncGroupBlock, type SyncGroupDraft } from "./sync-group.ts";
import { trackFileBlock, type TrackFileDraft } from "./track-file.ts";
import { requireArg, warnExtraArgs } from "./values.ts";
import { newVirtualServerDraft, parseVirtualServerKey, virtualServerBlock, type VirtualServerDraft } from "./virtual-server.ts";
import { parseVirtualServerGroup } from "./virtual-server-group.ts";
import { newInstanceDraft, type VrrpInstanceDraft } from "./vrrp-instance-draft.ts";
import { vrrpInstanceBlock } from "./vrrp-instance-keywords.ts";
import { vrrpScriptBlock, type VrrpScriptDraft } from "./vrrp-script.ts";

export interface ConfigDraft {
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScriptDraft[];
  trackFiles: TrackFileDraft[];
  vrrpInstances: VrrpInstanceDraft[];
  syncGroups: SyncGroupDraft[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServerDraft[];
  ssl?: SslSettings;
  /** Where each name was first defined, per kind of named block: a repeated name is found without a scan. */
  definedNames: Record<NamedKind, Map<string, SourceLocation>>;
}

/** The lists whose blocks are named; track_file and vrrp_track_file share one namespace, as they share a list. */
type NamedKind = "vrrpScripts" | "trackFiles" | "vrrpInstances" | "syncGroups" | "virtualServerGroups";

export function newConfigDraft(): ConfigDraft {
  return {
    globalDefs: defaultGlobalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    vrrpInstances: [],
    syncGroups: [],
    virtualServerGroups: [],
    virtualServers: [],
    definedNames: { vrrpScripts: new Map(), trackFiles: new Map(), vrrpInstances: new Map(), syncGroups: new Map(), virtualServerGroups: new Map() },
  };
}

interface Named {
  name: string;
  location: SourceLocation;
}

/**
 * The NAME of `vrrp_instance NAME {`, refusing a second block with the same name. The name is
 * recorded here, not when the block is added to its list: every block that gets a name is added.
 */
function blockName(stmt: Statement, defined: Map<string, SourceLocation>, diag: Diagnostics): string | undefined {
  const tok = requireArg(stmt, 0, "a name", diag);
  if (!tok) return undefined;
  warnExtraArgs(stmt, 1, diag);
  const p = defined.get(tok.text);
  if (p) {
    diag.error(tok, `${stmt.keyword.text} ${tok.text} is already defined at ${p.file}:${p.line}:${p.col}`);
    return undefined;
  }
  defined.set(tok.text, locationOf(stmt.keyword));
  return tok.text;
}

function named<D extends Named>(
  name: string,
  block: KeywordBlock<D>,
  kind: NamedKind,
  list: (c: ConfigDraft) => D[],
  create: (name: string, location: SourceLocation) => D,
  extra: Partial<Keyword<ConfigDraft>> = {},
): Keyword<ConfigDraft> {
  return {
    ...nestedBlock<ConfigDraft, D>(
      name,
      block,
      (stmt, config, diag) => {
        const n = blockName(stmt, config.definedNames[kind], diag);
        return n === undefined ? undefined : create(n, locationOf(stmt.keyword));
      },
      (draft, config) => list(config).push(draft),
    ),
    ...extra,
  };
}

/** `password`, `ca`, `certificate`, `key`: one path (or passphrase) each; a second replaces the first (check_parser.c handle_ssl_file). */
function sslSetting(name: string, field: keyof Omit<SslSettings, "location" | "fieldLocations">, what: string): Keyword<SslSettings> {
  return keyword(name, (stmt, target, diag) => {
    const tok = requireArg(stmt, 0, what, diag);
    if (!tok) return;
    warnExtraArgs(stmt, 1, diag);
    const previous = target.fieldLocations[field];
    if (previous) diag.warn(stmt.keyword, `SSL ${name} replaces the one at ${previous.file}:${previous.line}:${previous.col}, as in keepalived`);
    setField(target, field, tok.text, stmt);
  });
}

const sslBlock: KeywordBlock<SslSettings> = defineBlock("SSL", [
  sslSetting("password", "password", "the key's passphrase"),
  sslSetting("ca", "ca", "a PEM file of CA certificates"),
  sslSetting("certificate", "certificate", "a PEM certificate file"),
  sslSetting("key", "key", "a PEM private key file"),
]);

/**
 * OpenSSL sends a client certificate only when it has both the certificate and its key, so
 * in keepalived one without the other is as good as neither; tandem says so.
 */
function checkSslSettings(ssl: SslSettings, diag: Diagnostics): void {
  const { certificate, key, password } = ssl.fieldLocations;
  if (certificate && !key) diag.warn(certificate, "SSL certificate has no key: no client certificate is sent (as in keepalived)");
  if (key && !certificate) diag.warn(key, "SSL key has no certificate: no client certificate is sent (as in keepalived)");
  if (password && !key) diag.warn(password, "SSL password has no key to decrypt; ignored");
}

const newScript = (name: string, location: SourceLocation): VrrpScriptDraft => ({ name, location, fieldLocations: {} });
const newTrackFile = (name: string, location: SourceLocation): TrackFileDraft => ({ name, location, fieldLocations: {} });

const keywords: Keyword<ConfigDraft>[] = [
  nestedBlock(
    "global_defs",
    globalDefsBlock,
    (stmt, config) => {
      config.globalDefs.location ??= locationOf(stmt.keyword);
      return config.globalDefs;
    },
    () => {},
  ),
  named("vrrp_script", vrrpScriptBlock, "vrrpScripts", (c) => c.vrrpScripts, newScript),
  named("track_file", trackFileBlock, "trackFiles", (c) => c.trackFiles, newTrackFile),
  named("vrrp_track_file", trackFileBlock, "trackFiles", (c) => c.trackFiles, newTrackFile, { deprecatedFor: "track_file" }),
  named("vrrp_instance", vrrpInstanceBlock, "vrrpInstances", (c) => c.vrrpInstances, newInstanceDraft),
  named(
    "vrrp_sync_group",
    syncGroupBlock,
    "syncGroups",
    (c) => c.syncGroups,
    (name, location) => ({ name, location, members: [], fieldLocations: {} }),
  ),
  keyword(
    "virtual_server_group",
    (stmt, config, diag) => {
      const name = blockName(stmt, config.definedNames.virtualServerGroups, diag);
      if (name !== undefined) config.virtualServerGroups.push(parseVirtualServerGroup(name, stmt, diag));
    },
    { takesBlock: "values" },
  ),
  nestedBlock(
    "virtual_server",
    virtualServerBlock,
    (stmt, _config, diag) => {
      const key = parseVirtualServerKey(stmt, diag);
      return key && newVirtualServerDraft(key, locationOf(stmt.keyword));
    },
    (vs, config) => config.virtualServers.push(vs),
  ),
  nestedBlock(
    "SSL",
    sslBlock,
    (stmt, config, diag) => {
      warnExtraArgs(stmt, 0, diag);
      // check_parser.c ssl_handler: "SSL context already specified - replacing"; nothing of the first block is kept.
      const previous = config.ssl?.location;
      if (previous) diag.warn(stmt.keyword, `SSL replaces the block at ${previous.file}:${previous.line}:${previous.col}, as in keepalived`);
      return { location: locationOf(stmt.keyword), fieldLocations: {} };
    },
    (ssl, config, _stmt, diag) => {
      checkSslSettings(ssl, diag);
      config.ssl = ssl;
    },
  ),
  ...[
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "linkbeat_interfaces",
    "track_group",
    "vrrp_track_process",
    "bfd_instance",
    "garp_group",
    "interface_up_down_delays",
    "local_address_group",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "child_wait_time",
  ].map((n) => ignored<ConfigDraft>(n)),
];

export const topLevelBlock: KeywordBlock<ConfigDraft> = defineBlock("the top level", keywords);
