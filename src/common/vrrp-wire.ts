// The numbers VRRP puts on the wire around its packets, in one place for the codec (vrrp/)
// and the sockets (net/), which may not import each other.

/** RFC 3768 5.2.4 / RFC 5798 5.1.1.3: the IP protocol number assigned to VRRP. */
export const IPPROTO_VRRP = 112;
/** RFC 3768 5.2.3 / RFC 5798 5.1.1.3: the TTL a sender MUST set and a receiver MUST check (it proves a one-hop sender). */
export const VRRP_TTL = 255;
/** RFC 3768 5.2.2 / RFC 5798 5.1.1.2: the all-VRRP-routers group 224.0.0.18. */
export const VRRP_MULTICAST_GROUP = 0xe0000012;
/** keepalived's vrrp_build_ip4: TOS 0xc0 (precedence "internetwork control", DSCP CS6), as in the captures. */
export const VRRP_TOS = 0xc0;
