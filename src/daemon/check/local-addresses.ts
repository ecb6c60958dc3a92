// The IPv4 and IPv6 addresses on this box, followed as they come and go (rtnetlink's address
// events, net/address-monitor.ts), for ha_suspend: a virtual server's checks run only while
// its address is here (ipvs/ha-suspend.ts). Lost events (the queue overflowed) are recovered
// by opening a new monitor, whose dump is read afresh, as keepalived's netlink reflector does.
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { IpAddress } from "../../common/ip-address.ts";
import type { Logger } from "../../common/logger.ts";
import { openAddressMonitor, type AddressMonitor } from "../../net/address-monitor.ts";
import { HeldAddresses } from "./held-addresses.ts";

export interface LocalAddresses {
  /** The addresses present now (each once, whatever the number of interfaces holding it). */
  present(): IpAddress[];
  close(): Promise<void>;
}

export type WatchLocalAddresses = (onChange: () => void) => Promise<LocalAddresses>;

/** After a receive error, the monitor is opened again this much later. */
const REOPEN_DELAY_MS = 1_000;

const sameAddresses = (a: readonly IpAddress[], b: readonly IpAddress[]): boolean => {
  const keys = new Set(a.map((address) => `${address.family} ${address.text}`));
  return a.length === b.length && b.every((address) => keys.has(`${address.family} ${address.text}`));
};

export function watchHostAddresses(clock: Clock, logger: Logger): WatchLocalAddresses {
  return async (onChange) => {
    let held = new HeldAddresses();
    let monitor: AddressMonitor | undefined;
    let retry: TimerHandle | undefined;
    let closed = false;
    const open = async (): Promise<void> => {
      monitor = await openAddressMonitor({
        onDump: (addresses) => void (held = new HeldAddresses(addresses)),
        onEvent: (event) => {
          const changed = event.kind === "address-added" ? held.add(event.address) : held.remove(event.address);
          if (changed) onChange();
        },
        onError: (error) => {
          if (closed) return;
          logger.warn(`ha_suspend: address monitor: ${error.message}; reading the addresses again`);
          const old = monitor;
          monitor = undefined;
          void old?.close();
          retry = clock.at(clock.nowMs() + REOPEN_DELAY_MS, () => {
            if (closed) return;
            const before = held.present();
            void open()
              .then(() => {
                if (!sameAddresses(before, held.present())) onChange();
              })
              .catch((e) => logger.error(`ha_suspend: address monitor: ${String(e)}`));
          });
        },
      });
    };
    await open();
    return {
      present: () => held.present(),
      async close() {
        closed = true;
        retry?.cancel();
        await monitor?.close();
      },
    };
  };
}
