// `tandem __observer`: the see-and-steer side in a process of its own (the REST API and
// status page, the event history, status streams, config validation). It is fed the
// configuration, the engine's status and events by the supervisor, and asks the supervisor
// for changes (maintenance). If it hangs, grows or dies, the engine goes on; the
// supervisor restarts it.
import { systemClock } from "../../common/clock.ts";
import type { CheckSchedulerView, IpvsView } from "../../api/ports.ts";
import { CheckStatsTable } from "../ipc/check-stats-table.ts";
import { withCheckStats } from "../director/ipvs-status.ts";
import type { Config } from "../../config/index.ts";
import type { EngineStatus, FromObserver, MaintenanceResult, ToObserver } from "../ipc/messages.ts";
import { parentLink } from "../ipc/parent-link.ts";
import { setUpChild } from "../os/child-setup.ts";
import { createApiActions } from "./api-actions.ts";
import { installFaultHook } from "./fault-hook.ts";
import { Observability } from "./observability.ts";
import { fromJsonText, type JsonText } from "../ipc/json-text.ts";

/** The supervisor hears from the observer this often; silence for long means it hangs. */
export const ALIVE_INTERVAL_MS = 1_000;
/** A maintenance request the supervisor does not answer in this time fails with 503. */
const REQUEST_TIMEOUT_MS = 5_000;

export async function observerCommand(): Promise<number> {
  const link = parentLink<ToObserver, FromObserver>();
  const clock = systemClock();
  link.onDisconnect(() => process.exit(0));
  // The supervisor stops it with a message; signals from `kill $(pidof tandem)` are its too.
  process.on("SIGTERM", () => {});
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {});
  const start = await link.next("start");
  let config: Config = fromJsonText(start.config);
  // checker_priority, checker_rt_priority, ...: the other side's scheduling (keepalived's checker process).
  const logger = setUpChild("observer", start.log, config.globalDefs.checkerProcess, clock);
  if (!logger) return 2;
  let status: EngineStatus | undefined;
  // The director's status, decoded when first asked for (the API, the page, /metrics), not at each arrival.
  let ipvs:
    | {
        text: JsonText<IpvsView>;
        view?: IpvsView;
        totals?: IpvsView["totals"];
        withStats?: { from: IpvsView; changes: number; view: IpvsView };
      }
    | undefined;
  const checkStats = new CheckStatsTable();
  let checkScheduler: CheckSchedulerView | undefined;
  const observability = new Observability({
    clock,
    logger,
    dbFile: start.dbFile,
    facts: start.facts,
    config: () => config,
    engineStatus: () => status,
    ipvsStatus: () => {
      if (!ipvs) return undefined;
      const decoded = (ipvs.view ??= fromJsonText(ipvs.text));
      // The checks' counters come apart from the status, a slice at a time; merged when asked for after one arrived, not per request.
      let view = decoded;
      if (checkStats.changes > 0) {
        if (ipvs.withStats?.from !== decoded || ipvs.withStats.changes !== checkStats.changes) {
          ipvs.withStats = { from: decoded, changes: checkStats.changes, view: withCheckStats(decoded, checkStats.view()) };
        }
        view = ipvs.withStats.view;
      }
      if (!ipvs.totals && !checkScheduler) return view;
      return { ...view, ...(ipvs.totals ? { totals: ipvs.totals } : {}), ...(checkScheduler ? { checkScheduler } : {}) };
    },
  });

  let nextId = 1;
  const pending = new Map<number, (result: MaintenanceResult) => void>();
  /** An intent change asked of the supervisor; 503 if it does not answer in time. */
  const request = (send: (id: number) => void) =>
    new Promise<MaintenanceResult>((resolve) => {
      const id = nextId++;
      const timer = clock.at(clock.nowMs() + REQUEST_TIMEOUT_MS, () => {
        pending.delete(id);
        resolve({ ok: false, status: 503, error: "the daemon did not answer in time; try again" });
      });
      pending.set(id, (result) => {
        timer.cancel();
        resolve(result);
      });
      send(id);
    });
  const requestMaintenance = (instance: string, on: boolean) => request((id) => link.send({ type: "maintenance", id, instance, on }));
  const requestDrain = (virtualServer: string, realServer: string, on: boolean) =>
    request((id) => link.send({ type: "drain", id, virtualServer, realServer, on }));

  let stopping = false;
  link.onMessage((message) => {
    switch (message.type) {
      case "status":
        status = message.status;
        return;
      case "ipvs":
        ipvs = message.status === undefined ? undefined : { text: message.status };
        return;
      case "ipvs-totals":
        if (!ipvs) return;
        ipvs.totals = message.totals;
        return;
      case "check-stats":
        checkStats.apply(message);
        return;
      case "check-scheduler":
        checkScheduler = message.health;
        return;
      case "events":
        for (const event of fromJsonText(message.events)) observability.record(event);
        return;
      case "config":
        config = fromJsonText(message.config);
        observability.reloadToken();
        return;
      case "reply":
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
        return;
      case "stop":
        if (stopping) return;
        stopping = true;
        void observability.stop().then(() => process.exit(0));
        return;
      case "start":
        return;
    }
  });
  process.on("uncaughtException", (error) => {
    // Unlike the engine, the observer does not limp on: it dies and is restarted clean.
    logger.error(`internal error: ${error.stack ?? error.message}; the supervisor restarts the observer`);
    process.exit(70);
  });
  installFaultHook(process.env.TANDEM_TEST_FAULTS, clock, logger);
  const alive = () => {
    link.send({ type: "alive" });
    clock.at(clock.nowMs() + ALIVE_INTERVAL_MS, alive);
  };
  alive();
  const url = await observability.startApi(createApiActions(requestMaintenance, requestDrain, observability.bus, clock));
  link.send({ type: "ready", ...(url ? { url } : {}) });
  return new Promise<number>(() => {});
}
