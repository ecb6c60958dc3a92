// Mutators for fuzzing the config front end: each turns a keepalived.conf (or a set of
// files) into a hostile variant. Deterministic from a seed, so a failure can be replayed.

import { pick, seededRandom, type Random } from "../../support/seeded-random.ts";

export { pick, seededRandom, type Random };

const int = (random: Random, max: number): number => Math.floor(random() * max);

/** Definitions that refer to themselves, directly or through others, in every shape we could think of. */
export const SELF_REFERENCES: readonly string[] = [
  "$X=${X}",
  "$X=$X",
  "$X=a${X}",
  "$X=${X}${X}",
  "$X=$X=${X}${X}",
  "$X=${X} ${X}",
  "$A=${B}\n$B=${A}",
  "$A=${B}${B}\n$B=${C}${C}\n$C=${A}${A}",
  "$X=${X} \\\n${X}",
  "$X=${X} \\\n${X} \\\n${X}",
  "$X=~SEQ(i,1,10000) ${X}",
  "$X=@x ${X}",
  "$X=$Y=${X}\n$Y=${X}",
  "$X=include ${_PWD}/*",
  "$X=${X\n",
  "$X=${_PWD}${X}",
  "$X=\\\n$X=${X} \\\n${X}",
  "$X={ ${X} }",
  "$X=$X=$X=$X=${X}${X}${X}",
  "~SEQ(i,1,10000) $X=${X}${i}",
  "~SEQ(i,1,10000) ~SEQ(j,1,10000) $Z=${i}${j}",
];

const USES = ["${X}", "$X", "${A}", "$A", "${B}", "${Z}", "${_PWD}", "${_HASH}", "${_BANG}", "${_INSTANCE}", "$", "${", "${}", "$$X", "${X}${X}"];

const TOKENS = [
  "{",
  "}",
  "{}",
  "}{",
  '"',
  "'",
  '"{"',
  "#",
  "!",
  "\\",
  "\\\n",
  "\n",
  "\r",
  "\r\n",
  "\t",
  "@",
  "@^x",
  "@x",
  "~SEQ(i,1,100)",
  "~SEQ(i,10000)",
  "~SEQx(i,0,1,255)",
  "~SEQ(",
  "~SEQ(i,1,0,5)",
  "~SEQ(,1)",
  "include",
  "include *",
  "include {a,b}",
  "include /dev/zero",
  "include ../*",
  "includea x",
  "include [z-a]",
  "vrrp_instance",
  "virtual_server",
  "real_server",
  "global_defs",
  "vrrp_script",
  "virtual_server_group",
  "track_script",
  "virtual_ipaddress",
  "authentication",
  "auth_pass",
  "priority",
  "weight",
  "delay_loop",
  "HTTP_GET",
  "url",
  "digest",
  "99999999999999999999",
  "-1",
  "0",
  "-0",
  "0x10",
  "1e999",
  "NaN",
  "Infinity",
  "4294967296",
  "1.5",
  ".",
  "..",
  "+",
  "10.0.0.1",
  "10.0.0.1-255",
  "10.0.0.256",
  "::1",
  "ff02::12",
  "1.2.3.4/33",
  "10.0.0.1/24",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "\u0000",
  "\uFEFF",
  "\u00A0",
  "\u200B",
  "\uD800",
  "\uFFFF",
  "é",
  "😀",
];

/** Odd encodings of the same text. */
const ENCODINGS: readonly ((text: string) => string)[] = [
  (t) => "\uFEFF" + t,
  (t) => t.replace(/\n/g, "\r\n"),
  (t) => t.replace(/\n/g, "\r"),
  (t) => Array.from(t, (c) => c + "\u0000").join(""), // UTF-16LE read as UTF-8
  (t) => "\uFFFE" + Array.from(t, (c) => "\u0000" + c).join(""), // UTF-16BE with BOM
  (t) => t.replace(/ /g, "\u00A0"),
  (t) => t.replace(/[a-z]/g, (c) => (c === "e" ? "\u00E9" : c)),
  (t) => t.replace(/e/g, "\uD800"),
  (t) => t.replace(/ /g, "\t\v\f"),
];

function insertAt(text: string, at: number, what: string): string {
  return text.slice(0, at) + what + text.slice(at);
}

function randomChar(random: Random): string {
  return random() < 0.5 ? String.fromCharCode(int(random, 256)) : pick(random, ["{", "}", '"', "'", "$", "#", "!", "\\", "\n", "~", "@", " ", "\u0000"]);
}

/** One mutation of a text, chosen at random. */
export const TEXT_MUTATORS: readonly { name: string; apply(text: string, random: Random): string }[] = [
  {
    name: "byte flips",
    apply(text, random) {
      const chars = text.split("");
      for (let k = 1 + int(random, 8); k > 0 && chars.length > 0; k--) chars[int(random, chars.length)] = randomChar(random);
      return chars.join("");
    },
  },
  {
    name: "token insertions",
    apply(text, random) {
      let out = text;
      for (let k = 1 + int(random, 6); k > 0; k--) out = insertAt(out, int(random, out.length + 1), ` ${pick(random, TOKENS)} `);
      return out;
    },
  },
  {
    name: "self-referencing definitions",
    apply(text, random) {
      let out = `${pick(random, SELF_REFERENCES)}\n${text}`;
      for (let k = 1 + int(random, 4); k > 0; k--) out = insertAt(out, int(random, out.length + 1), pick(random, USES));
      return out;
    },
  },
  {
    name: "deep nesting",
    apply(text, random) {
      const depth = pick(random, [10, 33, 100, 1000, 20_000]);
      const open = pick(random, ["a {\n", "{", "vrrp_instance x {\n", "virtual_ipaddress {\n"]);
      return open.repeat(depth) + text + (random() < 0.5 ? "}\n".repeat(depth) : "");
    },
  },
  {
    name: "huge numbers",
    apply(text, random) {
      return text.replace(/\b\d+\b/g, (n) =>
        random() < 0.3 ? pick(random, ["99999999999999999999999", "-1", "1e999", "4294967296", "0x7fffffff", n + n + n + n]) : n,
      );
    },
  },
  {
    name: "odd encodings",
    apply(text, random) {
      return pick(random, ENCODINGS)(text);
    },
  },
  {
    name: "line surgery",
    apply(text, random) {
      const lines = text.split("\n");
      const at = int(random, lines.length);
      const span = 1 + int(random, 10);
      const chunk = lines.slice(at, at + span);
      switch (int(random, 4)) {
        case 0:
          lines.splice(at, span);
          break;
        case 1:
          lines.splice(at, 0, ...Array.from({ length: 1 + int(random, 50) }, () => chunk).flat());
          break;
        case 2:
          lines.splice(at, 1, (lines[at] ?? "").repeat(1 + int(random, 2000)));
          break;
        default:
          lines.reverse();
      }
      return lines.join("\n");
    },
  },
];

/** Extra files beside the entry file: include cycles, self-includes, globs over each other. */
export function includeWeb(entry: string, text: string, random: Random): Record<string, string> {
  const dir = entry.slice(0, entry.lastIndexOf("/"));
  const files: Record<string, string> = { [entry]: text };
  const shape = int(random, 5);
  if (shape === 0) files[entry] = `include ${entry}\n${text}`;
  else if (shape === 1) {
    files[entry] = `include a.conf\n${text}`;
    files[`${dir}/a.conf`] = "include b.conf\n";
    files[`${dir}/b.conf`] = "include a.conf\ninclude ../keepalived/*.conf\n";
  } else if (shape === 2) {
    files[entry] = `include *.conf\n${text}`;
    for (let i = 0; i < 5; i++) files[`${dir}/${i}.conf`] = `include *.conf\ninclude {0,1,2,3,4}.conf\n`;
  } else if (shape === 3) {
    files[entry] = `include d1.conf\n${text}`;
    for (let i = 1; i < 24; i++) files[`${dir}/d${i}.conf`] = `include d${i + 1}.conf\ninclude d${i + 1}.conf\n`;
    files[`${dir}/d24.conf`] = text.slice(0, 200);
  } else {
    files[entry] = `$INC=include \${_PWD}/x.conf\n\${INC}\n${text}`;
    files[`${dir}/x.conf`] = "${INC}\n";
  }
  return files;
}
