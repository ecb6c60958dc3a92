// The operator's intent (VRRP maintenance, real-server drains) and the director's drains in
// progress, kept apart from the event history: a small JSON file next to it, replaced
// atomically and fsync'd on every change, owned by the supervisor so that the engine and the
// director get it at every start even when the history or the API is down. A write that
// fails keeps the intent in memory and says so.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../../common/logger.ts";
import type { DirectorIntent } from "../../ipvs/director-types.ts";
import { drainStateFromJson, drainStateToJson, type DrainStateJson } from "../../ipvs/drain-state-json.ts";
import { NO_DRAINS, type DrainState } from "../../ipvs/drain.ts";

interface IntentFile {
  version: 1;
  /** instance -> wall ms it entered maintenance. */
  maintenance: Record<string, number>;
  /** Real servers the operator drained: "virtual server|real server" -> wall ms. */
  drained?: Record<string, number>;
  /** The director's drains in progress (removed or drained servers held until their connections end). */
  drainState?: DrainStateJson;
}

export type Persisted = { persisted: boolean; error?: string };

export interface IntentStore {
  maintenance(): string[];
  /** Returns whether the change reached the disk (it applies either way). */
  setMaintenance(instance: string, on: boolean, wallMs: number): Persisted;
  drains(): DirectorIntent;
  setDrain(virtualServer: string, realServer: string, on: boolean, wallMs: number): Persisted;
  drainState(): DrainState;
  setDrainState(state: DrainState): Persisted;
}

const DRAIN_SEPARATOR = "|";

export function openIntentStore(path: string, legacy: () => Map<string, number>, logger: Logger): IntentStore {
  const maintenance = new Map<string, number>();
  const drained = new Map<string, number>();
  let drainState: DrainState = NO_DRAINS;
  if (existsSync(path)) {
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as IntentFile;
      for (const [instance, sinceMs] of Object.entries(parsed.maintenance ?? {})) if (typeof sinceMs === "number") maintenance.set(instance, sinceMs);
      for (const [key, sinceMs] of Object.entries(parsed.drained ?? {}))
        if (typeof sinceMs === "number" && key.includes(DRAIN_SEPARATOR)) drained.set(key, sinceMs);
      if (parsed.drainState !== undefined) {
        const decoded = drainStateFromJson(parsed.drainState);
        if (decoded.ok) drainState = decoded.state;
        else logger.error(`operator intent ${path}: the drains in progress cannot be read (${decoded.reason}); they end now`);
      }
    } catch (error) {
      logger.error(`operator intent ${path} cannot be read (${(error as Error).message}); starting with no instance in maintenance and no drain`);
    }
  } else {
    for (const [instance, sinceMs] of legacy()) maintenance.set(instance, sinceMs);
    if (maintenance.size > 0) {
      logger.info(`operator intent: took over maintenance of ${[...maintenance.keys()].join(", ")} from the history database`);
      write(path, { maintenance, drained, drainState });
    }
  }
  const save = (what: string): Persisted => {
    const error = write(path, { maintenance, drained, drainState });
    if (error) logger.error(`operator intent ${path} not saved (${error}): ${what} holds until tandem restarts`);
    return error ? { persisted: false, error } : { persisted: true };
  };

  return {
    maintenance: () => [...maintenance.keys()].sort(),
    setMaintenance(instance, on, wallMs) {
      if (on) maintenance.set(instance, maintenance.get(instance) ?? wallMs);
      else maintenance.delete(instance);
      return save(`maintenance of ${instance}`);
    },
    drains: () => ({
      drained: [...drained.keys()].sort().map((key) => {
        const at = key.indexOf(DRAIN_SEPARATOR);
        return { virtualServer: key.slice(0, at), realServer: key.slice(at + 1) };
      }),
    }),
    setDrain(virtualServer, realServer, on, wallMs) {
      const key = `${virtualServer}${DRAIN_SEPARATOR}${realServer}`;
      if (on) drained.set(key, drained.get(key) ?? wallMs);
      else drained.delete(key);
      return save(`the drain of ${realServer} in ${virtualServer}`);
    },
    drainState: () => drainState,
    setDrainState(state) {
      if (JSON.stringify(state) === JSON.stringify(drainState)) return { persisted: true };
      drainState = state;
      return save("the drains in progress");
    },
  };
}

interface IntentState {
  maintenance: Map<string, number>;
  drained: Map<string, number>;
  drainState: DrainState;
}

/** Write to PATH.new, fsync, rename over PATH, fsync the directory; the error text on failure. */
function write(path: string, state: IntentState): string | undefined {
  const sorted = (map: Map<string, number>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
  const body: IntentFile = {
    version: 1,
    maintenance: sorted(state.maintenance),
    ...(state.drained.size > 0 ? { drained: sorted(state.drained) } : {}),
    ...(state.drainState.entries.length > 0 ? { drainState: drainStateToJson(state.drainState) } : {}),
  };
  const temporary = `${path}.new`;
  try {
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(body, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
