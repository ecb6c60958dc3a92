// What the director is sent of the configuration: global_defs, the virtual servers with their
// groups, the track_file blocks (FILE_CHECK reads them as VRRP does) and the SSL block (SSL_GET's
// client side); nothing else of VRRP (lvs_sync_daemon and the notify FIFOs are global_defs). Pure.
import type { Config } from "../../config/index.ts";

export type DirectorConfig = Pick<Config, "globalDefs" | "virtualServerGroups" | "virtualServers" | "trackFiles" | "ssl">;

export function directorConfigOf(config: Config): DirectorConfig {
  return {
    globalDefs: config.globalDefs,
    virtualServerGroups: config.virtualServerGroups,
    virtualServers: config.virtualServers,
    trackFiles: config.trackFiles,
    ...(config.ssl ? { ssl: config.ssl } : {}),
  };
}
