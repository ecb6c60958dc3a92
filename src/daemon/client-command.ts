// `tandem state` and `tandem events`: ask a running daemon's REST API and print a table
// (or the JSON with --json). The API address comes from --api, else the configuration's
// api_listen, else the default 127.0.0.1:8080.
import { existsSync } from "node:fs";
import { formatEventsTable, formatStateTable, type StateBody } from "../api/cli-format.ts";
import { nodeFiles, parseConfig } from "../config/index.ts";
import type { EventPage } from "../store/event.ts";
import { DEFAULT_API_LISTEN, type ClientOptions } from "./cli-args.ts";

export function apiBaseUrl(options: ClientOptions): string {
  if (options.apiUrl) return options.apiUrl.replace(/\/+$/, "");
  let listen = DEFAULT_API_LISTEN;
  if (existsSync(options.configFile)) listen = parseConfig(options.configFile, nodeFiles).config?.globalDefs.apiListen ?? listen;
  // A wildcard listen address is reached on loopback.
  return `http://${listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:")}`;
}

export async function clientCommand(command: "state" | "events", options: ClientOptions): Promise<number> {
  const base = apiBaseUrl(options);
  const path = command === "state" ? "/vrrp/state" : `/events?${new URLSearchParams(options.query)}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    process.stderr.write(`tandem ${command}: cannot reach the tandem API at ${base}: ${(error as Error).message}\n  (is the daemon running? is api_listen set? try --api URL)\n`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`tandem ${command}: ${base}${path} answered ${response.status}: ${text.trim()}\n`);
    return 1;
  }
  if (options.json) {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  }
  try {
    const body = JSON.parse(text);
    process.stdout.write(command === "state" ? formatStateTable(body as StateBody, Date.parse(response.headers.get("date") ?? "") || 0) : formatEventsTable(body as EventPage));
    return 0;
  } catch (error) {
    process.stderr.write(`tandem ${command}: the API's answer is not what this client expects: ${(error as Error).message}\n`);
    return 1;
  }
}
