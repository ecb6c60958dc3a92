// GET /config and POST /config/validate: the effective configuration with secrets masked
// (auth_pass), and validation of a posted keepalived.conf text by the validator, in a
// child process (includes cannot be followed from a request body, so they are reported
// like any missing file).
import { formatIpv4 } from "../../common/ipv4.ts";
import type { Config } from "../../config/index.ts";
import type { ConfigSource } from "../../api/ports.ts";
import type { ConfigValidator } from "./config-validator.ts";

export const MASK = "********";

/** The config as JSON people can read: addresses as dotted quads, secrets masked, no source locations. */
export function presentConfig(config: Config): unknown {
  const masked = {
    ...config,
    vrrpInstances: config.vrrpInstances.map((i) => ({ ...i, auth: i.auth && { ...i.auth, password: MASK } })),
  };
  return JSON.parse(
    JSON.stringify(masked, (key, value) => {
      if (key === "location" || key === "fieldLocations") return undefined;
      if (typeof value === "number" && /(^|[a-z])(address|Ip|Peers|broadcast|connectIp|bindTo)$/i.test(key)) return formatIpv4(value);
      if (Array.isArray(value) && /Peers$/.test(key)) return value.map((v) => (typeof v === "number" ? formatIpv4(v) : v));
      return value;
    }),
  );
}

export function createConfigSource(current: () => Config, validator: ConfigValidator): ConfigSource {
  return {
    effective: () => presentConfig(current()),
    validate: (text) => validator.validate(text),
  };
}
