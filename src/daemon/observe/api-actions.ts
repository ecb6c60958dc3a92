// What the API may change: maintenance on/off per VRRP instance, drain on/off per real
// server. The observer asks the supervisor, which owns the operator's intent (persisted
// apart from the history) and hands it to the engine or the director; every call is
// recorded here with its caller.
import type { Clock } from "../../common/clock.ts";
import type { ActionResult, Actions, EventSink } from "../../api/ports.ts";
import type { MaintenanceResult } from "../ipc/messages.ts";

export type MaintenanceRequest = (instance: string, on: boolean) => Promise<MaintenanceResult>;
export type DrainRequest = (virtualServer: string, realServer: string, on: boolean) => Promise<MaintenanceResult>;

export function createApiActions(requestMaintenance: MaintenanceRequest, requestDrain: DrainRequest, events: EventSink, clock: Clock): Actions {
  /** Asks, then records the answer with the caller. */
  const recorded = async (
    action: string,
    target: string,
    instance: string | undefined,
    caller: { address: string },
    ask: () => Promise<MaintenanceResult>,
  ): Promise<ActionResult> => {
    const result = await ask();
    const detail = result.ok ? result.detail : result.status === 404 ? `no such ${action.startsWith("drain") ? "real server" : "instance"}` : result.error;
    events.record({
      kind: "api.action",
      atMs: clock.wallMs(),
      ...(instance === undefined ? {} : { instance }),
      summary: `${caller.address}: ${action} ${target}${result.ok ? "" : " refused"}: ${detail}`,
      data: { action, caller, target, ok: result.ok, detail },
    });
    return result.ok ? { ok: true, detail: result.detail } : { ok: false, status: result.status, error: result.error };
  };
  return {
    setMaintenance: (instance, on, caller) =>
      recorded(on ? "maintenance.enter" : "maintenance.leave", instance, instance, caller, () => requestMaintenance(instance, on)),
    setDrain: (virtualServer, realServer, on, caller) =>
      recorded(on ? "drain.start" : "drain.stop", `${virtualServer} ${realServer}`, undefined, caller, () => requestDrain(virtualServer, realServer, on)),
  };
}
