// `track_file NAME { }` (deprecated synonym `vrrp_track_file`): a file whose number adjusts priority.

import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { defineBlock, keyword, setField, stringField, type Keyword, type KeywordBlock, type Located } from "./keyword-table.ts";
import type { VrrpTrackFile } from "./model.ts";
import { parseInteger, parseWeight, warnExtraArgs } from "./values.ts";

export interface TrackFileDraft extends Located {
  name: string;
  location: SourceLocation;
  file?: string;
  weight?: number;
  weightReverse?: boolean;
  initFile?: { value: number; overwrite: boolean };
}

const keywords: Keyword<TrackFileDraft>[] = [
  stringField("file", "file", "a file path"),
  keyword("weight", (stmt, target, diag) => {
    const parsed = parseWeight([stmt.keyword, ...stmt.args], `track_file ${target.name}`, -2147483647, 2147483647, diag);
    if (!parsed || parsed.weight === undefined) return;
    warnExtraArgs(stmt, parsed.used - 1, diag);
    setField(target, "weight", parsed.weight, stmt);
    setField(target, "weightReverse", parsed.weightReverse ?? false, stmt);
  }),
  keyword("init_file", (stmt, target, diag) => {
    let value = 0;
    let overwrite = false;
    for (const tok of stmt.args) {
      if (tok.text === "overwrite") overwrite = true;
      else {
        const n = parseInteger(tok, "init_file value", -2147483648, 2147483647, diag);
        if (n === undefined) return;
        value = n;
      }
    }
    setField(target, "initFile", { value, overwrite }, stmt);
  }),
];

export const trackFileBlock: KeywordBlock<TrackFileDraft> = defineBlock("track_file", keywords);

export function finishTrackFile(d: TrackFileDraft, diag: Diagnostics): VrrpTrackFile | undefined {
  if (d.file === undefined) {
    diag.error(d.location, `track_file ${d.name} has no 'file' line`);
    return undefined;
  }
  return {
    name: d.name,
    file: d.file,
    weight: d.weight ?? 1,
    weightReverse: d.weightReverse ?? false,
    ...(d.initFile ? { initFile: d.initFile } : {}),
    location: d.location,
    fieldLocations: d.fieldLocations,
  };
}
