// vrrp_track_file arithmetic (keepalived 2.2.7 trackers/track_file.c): the number in the
// file, and what it does to a VRRP instance given the tracking weight and `reverse`.

/** keepalived reads at most this many bytes of the file (char buf[128], NUL-terminated). */
export const trackFileReadLimitBytes = 127;

/** The status keepalived clamps to that means "this instance is in FAULT". */
export const trackFileFaultStatus = -254;

export type TrackFileReading = { ok: true; value: number } | { ok: false; reason: string };

const int32Min = -2147483648n;
const int32MaxPlusOne = 2147483648n; // keepalived's upper bound is INT32_MAX + 1

/**
 * The file's value: strtol(text, NULL, 0) over the first 127 bytes - leading blanks, a sign,
 * 0x hex, leading-0 octal, and trailing text ignored. A missing or empty file, or text
 * with no number, is 0. A number outside [-2^31, 2^31] is refused (keepalived logs
 * "Invalid number ... - ignoring" and keeps the previous value).
 */
export function parseTrackFileValue(content: string | undefined): TrackFileReading {
  if (content === undefined) return { ok: true, value: 0 };
  const text = content.slice(0, trackFileReadLimitBytes);
  let i = 0;
  while (i < text.length && " \t\n\v\f\r".includes(text[i]!)) i++;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") negative = text[i++] === "-";
  let base = 10n;
  if (text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X") && /[0-9a-fA-F]/.test(text[i + 2] ?? "")) {
    base = 16n;
    i += 2;
  } else if (text[i] === "0") base = 8n;
  let magnitude = 0n;
  for (; i < text.length; i++) {
    const digit = parseInt(text[i]!, 16);
    if (Number.isNaN(digit) || BigInt(digit) >= base) break;
    magnitude = magnitude * base + BigInt(digit);
  }
  const value = negative ? -magnitude : magnitude;
  if (value < int32Min || value > int32MaxPlusOne) {
    return { ok: false, reason: `the number ${value} is out of range [-2147483648, 2147483648]; the previous value is kept` };
  }
  return { ok: true, value: Number(value) };
}

export interface TrackFileEffect {
  /** The instance must be in FAULT because of this file. */
  fault: boolean;
  /** What to add to the instance's base priority (0 when fault); the caller clamps the sum to [1, 254]. */
  priorityDelta: number;
}

/**
 * keepalived update_track_file_status + process_update_vrrp_track_file_status:
 *  weight 0:  non-zero value -> FAULT, zero -> OK; `reverse` swaps the two.
 *  weight W:  status = value * W (negated by `reverse`), clamped to [-254, 253];
 *             -254 (i.e. anything <= -254) -> FAULT, otherwise it is added to the priority.
 * The weight is the track_file's own (default 1) unless the instance's track_file entry
 * overrides it; choosing which is the caller's job.
 */
export function trackFileEffect(value: number, weight: number, reverse: boolean): TrackFileEffect {
  if (weight === 0) return { fault: (value !== 0) !== reverse, priorityDelta: 0 };
  const status = Math.min(253, Math.max(trackFileFaultStatus, value * weight * (reverse ? -1 : 1)));
  if (status === trackFileFaultStatus) return { fault: true, priorityDelta: 0 };
  return { fault: false, priorityDelta: status };
}
