// keepalived.conf text for scenario tests: one vrrp_instance block from a few fields, so
// a story states only what it is about and the rest reads as an operator would write it.

export interface InstanceText {
  name?: string;
  vrid?: number;
  priority: number;
  state?: "MASTER" | "BACKUP";
  interface?: string;
  /** Seconds, as written in advert_int. */
  advertInt?: number;
  version?: 2 | 3;
  vips?: string[];
  /** Further lines of the block, e.g. "nopreempt", "track_script {\n chk\n}". */
  extra?: string[];
}

export function vrrpInstance(o: InstanceText): string {
  const lines = [
    `vrrp_instance ${o.name ?? "VI_1"} {`,
    `  state ${o.state ?? "BACKUP"}`,
    `  interface ${o.interface ?? "eth0"}`,
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
    ...(o.version ? [`  version ${o.version}`] : []),
    "  virtual_ipaddress {",
    ...(o.vips ?? ["10.99.0.100/24"]).map((v) => `    ${v}`),
    "  }",
    ...(o.extra ?? []).map((l) => `  ${l}`),
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

/** A vrrp_script block. */
export function vrrpScript(
  name: string,
  path: string,
  settings: { interval?: number; weight?: number; fall?: number; rise?: number; timeout?: number } = {},
): string {
  const lines = [`vrrp_script ${name} {`, `  script "${path}"`, `  interval ${settings.interval ?? 1}`];
  if (settings.timeout !== undefined) lines.push(`  timeout ${settings.timeout}`);
  lines.push(`  weight ${settings.weight ?? 0}`, `  fall ${settings.fall ?? 1}`, `  rise ${settings.rise ?? 1}`, "}");
  return `${lines.join("\n")}\n`;
}
