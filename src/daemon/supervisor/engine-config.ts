// What the VRRP engine is sent of the configuration: everything but the virtual servers,
// which are the director's. At 2,000 x 20 they are nearly all of the 11.7 MB a structured
// clone of the whole configuration takes; the engine decoding them at every start and reload
// held its event loop, and with it its adverts, for as long as that took (0.3 s on the host
// to encode and decode, several times that in an emulated guest: more than the master-down
// interval of 10 ms adverts). Pure.
import type { Config } from "../../config/index.ts";

export function engineConfigOf(config: Config): Config {
  return { ...config, virtualServers: [], virtualServerGroups: [] };
}
