// `~SEQ(var, start, step, end)` / `~SEQx(...)` line repetition (keepalived.conf(5) "Sequence blocks").

export interface Sequence {
  variable: string;
  values: string[];
  /** Index in the line text where the repeated remainder starts. */
  restStart: number;
}

/**
 * Parse a `~SEQ` header; `undefined` if the line is not one, `{ error }` if malformed.
 * More than `maxValues` repetitions are refused: almost certainly a typo in `end` or `step`.
 */
export function parseSequence(text: string, maxValues: number): Sequence | { error: string } | undefined {
  const m = /^~SEQ(x?)\(([^)]*)\)/.exec(text);
  if (!m) return text.startsWith("~SEQ") ? { error: "malformed ~SEQ: expected ~SEQ(var, [start,] [step,] end)" } : undefined;
  const hex = m[1] === "x";
  const parts = (m[2] as string).split(",").map((s) => s.trim());
  const variable = parts[0] ?? "";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) return { error: `~SEQ variable name '${variable}' is not a valid parameter name` };
  const numbers = parts.slice(1).map((p) => (/^-?\d+$/.test(p) ? Number(p) : NaN));
  if (numbers.length < 1 || numbers.length > 3 || numbers.some(Number.isNaN)) {
    return { error: "~SEQ needs 1 to 3 integers after the variable: (var, [start,] [step,] end)" };
  }
  if (!numbers.every(Number.isSafeInteger)) return { error: `~SEQ numbers must lie within +/-${Number.MAX_SAFE_INTEGER}` };
  const end = numbers[numbers.length - 1] as number;
  const start = numbers.length >= 2 ? (numbers[0] as number) : end < 0 ? -1 : 1;
  const step = numbers.length === 3 ? (numbers[1] as number) : end >= start ? 1 : -1;
  if (step === 0) return { error: "~SEQ step must not be 0" };
  // Counted before any value is made: a ~SEQ inside a ~SEQ may be parsed thousands of times.
  const count = (step > 0 ? end >= start : end <= start) ? Math.floor((end - start) / step) + 1 : 0;
  if (count > maxValues) return { error: `~SEQ would repeat the line more than ${maxValues} times` };
  const values: string[] = [];
  for (let k = 0, v = start; k < count; k++, v += step) values.push(hex ? v.toString(16) : String(v));
  return { variable, values, restStart: m[0].length };
}
