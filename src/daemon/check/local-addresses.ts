// The IPv4 addresses on this box, followed as they come and go (rtnetlink's address events),
// for ha_suspend: a virtual server's checks run only while its address is here
// (ipvs/ha-suspend.ts). Lost events (the queue overflowed) are recovered by reading the
// addresses again and opening a new monitor, as keepalived's netlink reflector does.
import { ipv4Address, type IpAddress } from "../../common/ip-address.ts";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { openRtnetlink } from "../../net/rtnetlink.ts";
import { openNetworkMonitor, type NetworkMonitor } from "../../net/rtnetlink-monitor.ts";

export interface LocalAddresses {
  /** The addresses present now (each once, whatever the number of interfaces holding it). */
  present(): IpAddress[];
  close(): Promise<void>;
}

export type WatchLocalAddresses = (onChange: () => void) => Promise<LocalAddresses>;

/** After a receive error, the monitor is opened again this much later. */
const REOPEN_DELAY_MS = 1_000;

export function watchHostAddresses(clock: Clock, logger: Logger): WatchLocalAddresses {
  return async (onChange) => {
    const rtnetlink = openRtnetlink();
    /** "interface index|address": an address stays present while any interface holds it (keepalived's ha_suspend_addr_count). */
    let held = new Set<string>();
    const addresses = () => new Set([...held].map((key) => Number(key.slice(key.indexOf("|") + 1))));
    let monitor: NetworkMonitor | undefined;
    let retry: TimerHandle | undefined;
    let closed = false;
    const open = async (): Promise<void> => {
      monitor = await openNetworkMonitor({
        loadLinks: async () => {
          // Subscribed first, then read: no change falls between the two.
          held = new Set((await rtnetlink.listAddresses()).map((a) => `${a.index}|${a.address}`));
          return rtnetlink.listLinks();
        },
        onEvent: (event) => {
          if (event.kind !== "address-added" && event.kind !== "address-removed") return;
          // RTM_NEWADDR also reports an address whose attributes changed: held once per interface.
          const before = addresses().has(event.address.address);
          const key = `${event.address.index}|${event.address.address}`;
          if (event.kind === "address-added") held.add(key);
          else held.delete(key);
          if (before !== addresses().has(event.address.address)) onChange();
        },
        onError: (error) => {
          if (closed) return;
          logger.warn(`ha_suspend: address monitor: ${error.message}; reading the addresses again`);
          const old = monitor;
          monitor = undefined;
          void old?.close();
          retry = clock.at(clock.nowMs() + REOPEN_DELAY_MS, () => {
            if (!closed)
              void open()
                .then(onChange)
                .catch((e) => logger.error(`ha_suspend: address monitor: ${String(e)}`));
          });
        },
      });
    };
    await open();
    return {
      present: () => [...addresses()].map(ipv4Address),
      async close() {
        closed = true;
        retry?.cancel();
        await monitor?.close();
        rtnetlink.close();
      },
    };
  };
}
