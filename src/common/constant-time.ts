// Comparison whose time does not depend on where two secrets differ (tokens, passwords).

/**
 * Equal strings, in time that depends only on the lengths, never on where they differ,
 * so a caller cannot find the token byte by byte from response times.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i % Math.max(a.length, 1)] ?? 0) ^ b[i]!;
  return difference === 0;
}
