// Public surface of src/net: the kernel-facing ports of the VRRP engine (DESIGN.md "net/").
export { createNetworkPorts, type NetworkPorts } from "./interfaces.ts";
export { openVrrpSocket, type VrrpSocket, type VrrpSocketOptions } from "./vrrp-socket.ts";
export { openArpSocket, type ArpSender, type ArpSocketOptions } from "./arp-socket.ts";
export { encodeGratuitousArp } from "./arp.ts";
export { openRtnetlink, describeAddressSpec, type Rtnetlink } from "./rtnetlink.ts";
export { openNetworkMonitor, type NetworkEvent, type NetworkMonitor, type NetworkMonitorOptions } from "./rtnetlink-monitor.ts";
export { NetlinkError, isAlreadyAbsent, isAlreadyPresent, isNoSuchDevice } from "./netlink-socket.ts";
export { SystemError } from "./errno.ts";
export {
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  type AddressInfo,
  type AddressSpec,
  type LinkInfo,
} from "../netlink/rtnetlink-messages.ts";
export { splitIpv4Datagrams } from "./ipv4-datagrams.ts";
export { lockMemory, makeFifo, setCpuAffinity, setProcessNice, setRealtimeCpuLimit, setRealtimePriority } from "./libc.ts";
