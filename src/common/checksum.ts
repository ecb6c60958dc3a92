// The Internet checksum (RFC 1071): one's complement of the one's complement sum of
// 16-bit words. Used by the VRRP codec (both versions) and the IPv4 header.

/** One's complement sum of data (not yet inverted), continuing from `initial`. */
export function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const evenLength = data.length & ~1;
  for (let i = 0; i < evenLength; i += 2) sum += ((data[i] as number) << 8) | (data[i + 1] as number);
  if (data.length & 1) sum += (data[data.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to store in a header whose checksum field is zero while summing. */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesComplementSum(data, initial) & 0xffff;
}
