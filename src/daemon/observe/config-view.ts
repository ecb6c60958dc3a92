// GET /config and POST /config/validate: the effective configuration with secrets masked
// (auth_pass), and validation of a posted keepalived.conf text by the validator, in a
// child process (includes cannot be followed from a request body, so they are reported
// like any missing file).
import type { IpAddress } from "../../common/ip-address.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import type { Config } from "../../config/index.ts";
import { CONFIG_FIELDS, type FieldKind, type RecordFields } from "../../config/model-fields.ts";
import type { ConfigSource } from "../../api/ports.ts";
import type { ConfigValidator } from "./config-validator.ts";

export const MASK = "********";

/** The config as JSON people can read: addresses as text (dotted quads, RFC 5952), secrets masked, no source locations. */
export function presentConfig(config: Config): unknown {
  return presentRecord(config, CONFIG_FIELDS, "config");
}

// The model's field table says what each field holds; a field it does not list is a bug
// in the model (set by a string name the type does not declare), said so rather than guessed.
function presentRecord(record: object, fields: RecordFields, path: string): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === "location" || key === "fieldLocations" || value === undefined) continue;
    const kind = fields[key];
    if (kind === undefined) throw new Error(`${path}.${key} is not in the model's field table (src/config/model-fields.ts)`);
    shown[key] = presentField(value, kind, `${path}.${key}`);
  }
  return shown;
}

function presentField(value: unknown, kind: FieldKind, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => presentField(v, kind, `${path}[${i}]`));
  if (kind === "ipv4") return formatIpv4(value as number);
  if (kind === "ip") return (value as IpAddress).text;
  if (kind === "secret") return MASK;
  if (kind === "number" || kind === "value") return value;
  if ("record" in kind) return presentRecord(value as object, kind.record, path);
  const variant = (value as { kind: string }).kind;
  const fields = kind.variants[variant];
  if (fields === undefined) throw new Error(`${path} has kind ${variant}, which is not in the model's field table (src/config/model-fields.ts)`);
  return presentRecord(value as object, fields, path);
}

export function createConfigSource(current: () => Config, validator: ConfigValidator): ConfigSource {
  return {
    effective: () => presentConfig(current()),
    validate: (text) => validator.validate(text),
  };
}
