// Splits a chunk read from a raw IPv4 socket into the datagrams it holds, by each IPv4
// header's Total Length (RFC 791 3.1). Pure. Needed because a chunk can carry several.

/**
 * Returns the datagrams in order. A piece that does not look like an IPv4 header with a
 * plausible length ends the split and is returned whole, so the packet decoder can reject
 * it with a reason instead of it vanishing here.
 */
export function splitIpv4Datagrams(chunk: Uint8Array): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let offset = 0;
  while (offset < chunk.length) {
    const remaining = chunk.length - offset;
    const version = (chunk[offset] as number) >>> 4;
    const headerLength = ((chunk[offset] as number) & 0x0f) * 4;
    const totalLength = remaining >= 4 ? ((chunk[offset + 2] as number) << 8) | (chunk[offset + 3] as number) : 0;
    if (remaining < 20 || version !== 4 || headerLength < 20 || totalLength < headerLength || totalLength > remaining) {
      datagrams.push(chunk.subarray(offset));
      break;
    }
    datagrams.push(chunk.subarray(offset, offset + totalLength));
    offset += totalLength;
  }
  return datagrams;
}
