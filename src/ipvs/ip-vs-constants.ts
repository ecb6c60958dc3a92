// The IPVS constants the director speaks, under their kernel names, from the uapi header
// <linux/ip_vs.h> (Linux 6.1, the appliance's kernel; the same in 6.18). Each group names
// the enum or #define block it comes from; enums count from 0 in the header's order.

/** IP_VS_VERSION_CODE: 1.2.1, what GET_INFO reports. */
export const IP_VS_VERSION_CODE = 0x010201;

// Generic netlink family (IPVS_GENL_NAME, IPVS_GENL_VERSION)
export const IPVS_GENL_NAME = "IPVS";
export const IPVS_GENL_VERSION = 0x1;

// Virtual service flags (#define IP_VS_SVC_F_*)
export const IP_VS_SVC_F_PERSISTENT = 0x0001;
/** Set by the kernel on every service in its table; never by user space. */
export const IP_VS_SVC_F_HASHED = 0x0002;
export const IP_VS_SVC_F_ONEPACKET = 0x0004;
export const IP_VS_SVC_F_SCHED1 = 0x0008;
export const IP_VS_SVC_F_SCHED2 = 0x0010;
export const IP_VS_SVC_F_SCHED3 = 0x0020;
export const IP_VS_SVC_F_SCHED_SH_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_SH_PORT = IP_VS_SVC_F_SCHED2;

// Sync daemon states (#define IP_VS_STATE_*); a bit mask: both can run at once
export const IP_VS_STATE_NONE = 0x0000;
export const IP_VS_STATE_MASTER = 0x0001;
export const IP_VS_STATE_BACKUP = 0x0002;

// Connection flags (#define IP_VS_CONN_F_*): the forwarding methods in the low three bits
export const IP_VS_CONN_F_FWD_MASK = 0x0007;
export const IP_VS_CONN_F_MASQ = 0x0000;
export const IP_VS_CONN_F_LOCALNODE = 0x0001;
export const IP_VS_CONN_F_TUNNEL = 0x0002;
export const IP_VS_CONN_F_DROUTE = 0x0003;
export const IP_VS_CONN_F_BYPASS = 0x0004;
export const IP_VS_CONN_F_SYNC = 0x0020;
export const IP_VS_CONN_F_HASHED = 0x0040;
export const IP_VS_CONN_F_NOOUTPUT = 0x0080;
export const IP_VS_CONN_F_INACTIVE = 0x0100;
export const IP_VS_CONN_F_OUT_SEQ = 0x0200;
export const IP_VS_CONN_F_IN_SEQ = 0x0400;
export const IP_VS_CONN_F_SEQ_MASK = 0x0600;
export const IP_VS_CONN_F_NO_CPORT = 0x0800;
export const IP_VS_CONN_F_TEMPLATE = 0x1000;
export const IP_VS_CONN_F_ONE_PACKET = 0x2000;

// Name lengths (#define IP_VS_*_MAXLEN), NUL included
export const IP_VS_SCHEDNAME_MAXLEN = 16;
export const IP_VS_PENAME_MAXLEN = 16;
export const IP_VS_IFNAME_MAXLEN = 16;

// Tunnel types (enum IP_VS_CONN_F_TUNNEL_TYPE_*)
export const IP_VS_CONN_F_TUNNEL_TYPE_IPIP = 0;
export const IP_VS_CONN_F_TUNNEL_TYPE_GUE = 1;
export const IP_VS_CONN_F_TUNNEL_TYPE_GRE = 2;

// Tunnel encapsulation flags (#define IP_VS_TUNNEL_ENCAP_FLAG_*)
export const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM = 0;
export const IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 1 << 0;
export const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 1 << 1;

// Commands (enum IPVS_CMD_*)
export const IPVS_CMD_UNSPEC = 0;
export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
/** Only in GET_INFO's reply. */
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

// First-level attributes (enum IPVS_CMD_ATTR_*)
export const IPVS_CMD_ATTR_UNSPEC = 0;
export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

// Service attributes, inside IPVS_CMD_ATTR_SERVICE (enum IPVS_SVC_ATTR_*)
export const IPVS_SVC_ATTR_UNSPEC = 0;
export const IPVS_SVC_ATTR_AF = 1;
export const IPVS_SVC_ATTR_PROTOCOL = 2;
/** union nf_inet_addr: always 16 bytes, an IPv4 address in the first 4. */
export const IPVS_SVC_ATTR_ADDR = 3;
/** __be16. */
export const IPVS_SVC_ATTR_PORT = 4;
export const IPVS_SVC_ATTR_FWMARK = 5;
export const IPVS_SVC_ATTR_SCHED_NAME = 6;
/** struct ip_vs_flags { __u32 flags; __u32 mask; }. */
export const IPVS_SVC_ATTR_FLAGS = 7;
/** Persistence timeout, seconds. */
export const IPVS_SVC_ATTR_TIMEOUT = 8;
/** __be32: an IPv4 netmask in network order, or an IPv6 prefix length as a host-order number. */
export const IPVS_SVC_ATTR_NETMASK = 9;
export const IPVS_SVC_ATTR_STATS = 10;
export const IPVS_SVC_ATTR_PE_NAME = 11;
export const IPVS_SVC_ATTR_STATS64 = 12;

// Destination attributes, inside IPVS_CMD_ATTR_DEST (enum IPVS_DEST_ATTR_*)
export const IPVS_DEST_ATTR_UNSPEC = 0;
export const IPVS_DEST_ATTR_ADDR = 1;
export const IPVS_DEST_ATTR_PORT = 2;
export const IPVS_DEST_ATTR_FWD_METHOD = 3;
export const IPVS_DEST_ATTR_WEIGHT = 4;
export const IPVS_DEST_ATTR_U_THRESH = 5;
export const IPVS_DEST_ATTR_L_THRESH = 6;
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7;
export const IPVS_DEST_ATTR_INACT_CONNS = 8;
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9;
export const IPVS_DEST_ATTR_STATS = 10;
/** Since Linux 3.18 (mixed-family tunnel destinations); older kernels: the service's family. */
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11;
export const IPVS_DEST_ATTR_STATS64 = 12;
/** u8, IP_VS_CONN_F_TUNNEL_TYPE_*; since Linux 5.2. */
export const IPVS_DEST_ATTR_TUN_TYPE = 13;
/** __be16, the GUE port; since Linux 5.2. */
export const IPVS_DEST_ATTR_TUN_PORT = 14;
/** u16, IP_VS_TUNNEL_ENCAP_FLAG_*; since Linux 5.3. */
export const IPVS_DEST_ATTR_TUN_FLAGS = 15;

// Sync daemon attributes, inside IPVS_CMD_ATTR_DAEMON (enum IPVS_DAEMON_ATTR_*)
export const IPVS_DAEMON_ATTR_UNSPEC = 0;
export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2;
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
/** u16, the sync messages' UDP payload size. */
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
/** in_addr, network order. */
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5;
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6;
/** u16 in host order (the kernel applies htons itself). */
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7;
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

// Statistics, inside IPVS_*_ATTR_STATS and _STATS64 (enum IPVS_STATS_ATTR_*). In STATS,
// INBYTES and OUTBYTES are u64 and the rest u32 (truncated); in STATS64 all are u64.
export const IPVS_STATS_ATTR_UNSPEC = 0;
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;
export const IPVS_STATS_ATTR_CPS = 6;
export const IPVS_STATS_ATTR_INPPS = 7;
export const IPVS_STATS_ATTR_OUTPPS = 8;
export const IPVS_STATS_ATTR_INBPS = 9;
export const IPVS_STATS_ATTR_OUTBPS = 10;
/** Alignment padding for the u64s on architectures that need it; carries nothing. */
export const IPVS_STATS_ATTR_PAD = 11;

// GET_INFO's reply (enum IPVS_INFO_ATTR_*)
export const IPVS_INFO_ATTR_UNSPEC = 0;
export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;
