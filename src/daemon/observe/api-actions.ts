// What the API may change: maintenance on/off per instance. The observer asks the
// supervisor, which owns the operator's intent (persisted apart from the history) and hands
// it to the engine; every call is recorded here with its caller.
import type { Clock } from "../../common/clock.ts";
import type { ActionResult, Actions, EventSink } from "../../api/ports.ts";
import type { MaintenanceResult } from "../ipc/messages.ts";

export type MaintenanceRequest = (instance: string, on: boolean) => Promise<MaintenanceResult>;

export function createApiActions(request: MaintenanceRequest, events: EventSink, clock: Clock): Actions {
  return {
    async setMaintenance(instance, on, caller): Promise<ActionResult> {
      const action = on ? "maintenance.enter" : "maintenance.leave";
      const result = await request(instance, on);
      if (!result.ok) {
        const detail = result.status === 404 ? "no such instance" : result.error;
        events.record({
          kind: "api.action",
          atMs: clock.wallMs(),
          instance,
          summary: `${caller.address}: ${action} ${instance} refused: ${detail}`,
          data: { action, caller, target: instance, ok: false, detail },
        });
        return { ok: false, status: result.status, error: result.error };
      }
      events.record({
        kind: "api.action",
        atMs: clock.wallMs(),
        instance,
        summary: `${caller.address}: ${action} ${instance}: ${result.detail}`,
        data: { action, caller, target: instance, ok: true, detail: result.detail },
      });
      return { ok: true, detail: result.detail };
    },
  };
}
