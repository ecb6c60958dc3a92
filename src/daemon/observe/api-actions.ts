// What the API may change: maintenance on/off per instance, persisted in the event log's
// store so it survives restarts, applied through tracking, and recorded with its caller.
import type { Clock } from "../../common/clock.ts";
import type { ActionResult, Actions, EventSink } from "../../api/ports.ts";
import type { EventLog } from "../../store/event.ts";
import type { VrrpRuntime } from "../vrrp/vrrp-runtime.ts";

export function createApiActions(runtime: VrrpRuntime, log: EventLog, events: EventSink, clock: Clock): Actions {
  return {
    async setMaintenance(instance, on, caller): Promise<ActionResult> {
      const exists = runtime.instances().some((i) => i.plan.name === instance);
      const action = on ? "maintenance.enter" : "maintenance.leave";
      if (!exists) {
        events.record({ kind: "api.action", atMs: clock.wallMs(), instance, summary: `${caller.address}: ${action} ${instance} refused: no such instance`, data: { action, caller, target: instance, ok: false, detail: "no such instance" } });
        return { ok: false, status: 404, error: `no VRRP instance named ${instance}` };
      }
      const already = log.maintenance().includes(instance) === on;
      log.setMaintenance(instance, on);
      runtime.maintenanceChanged(instance);
      const detail = already ? `already ${on ? "in" : "out of"} maintenance` : on ? "priority forced to 1; a peer takes over" : "priority restored";
      events.record({ kind: "api.action", atMs: clock.wallMs(), instance, summary: `${caller.address}: ${action} ${instance}: ${detail}`, data: { action, caller, target: instance, ok: true, detail } });
      return { ok: true, detail };
    },
  };
}
