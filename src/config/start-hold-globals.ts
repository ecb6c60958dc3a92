// The global_defs keywords that hold the VRRP instances in BACKUP at start: keepalived's
// vrrp_startup_delay (global_parser.c vrrp_startup_delay_handler, 2.2.7) and tandem's
// director_ready_timeout, the bound on waiting for the director's first IPVS pass.

import type { Diagnostics } from "./diagnostics.ts";
import { keyword, setField, type Keyword } from "./keyword-table.ts";
import type { GlobalDefs } from "./model.ts";
import { parseFixedDecimal, requireArg, warnExtraArgs } from "./values.ts";

/** Tandem's default for director_ready_timeout: a first pass over thousands of virtual servers takes 2-10 s. */
export const DEFAULT_DIRECTOR_READY_TIMEOUT_S = 15;
/** keepalived reads the delay in microseconds into an unsigned: 0.001 s up to UINT_MAX us. */
const STARTUP_DELAY_MIN_S = 0.001;
const STARTUP_DELAY_MAX_S = 4294.967295;
/** keepalived logs "The vrrp_startup_delay is very large" from here. */
const STARTUP_DELAY_LARGE_S = 60;
const DIRECTOR_READY_TIMEOUT_MAX_S = 3600;

export function startHoldKeywords(): Keyword<GlobalDefs>[] {
  return [
    {
      ...keyword<GlobalDefs>("vrrp_startup_delay", (stmt, target, diag: Diagnostics) => {
        const tok = requireArg(stmt, 0, `seconds ${STARTUP_DELAY_MIN_S}..${STARTUP_DELAY_MAX_S}`, diag);
        // keepalived's read_decimal_unsigned_strvec(..., TIMER_HZ / 1000, UINT_MAX, TIMER_HZ_DIGITS): microseconds.
        const seconds = tok && parseFixedDecimal(tok, "vrrp_startup_delay", STARTUP_DELAY_MIN_S, STARTUP_DELAY_MAX_S, 6, diag);
        if (!tok || seconds === undefined) return;
        warnExtraArgs(stmt, 1, diag);
        if (seconds >= STARTUP_DELAY_LARGE_S)
          diag.warn(tok, `vrrp_startup_delay ${tok.text} is very large: every VRRP instance stays BACKUP for ${tok.text} s after each start`);
        setField(target, "vrrpStartupDelayS", seconds, stmt);
      }),
      note: "held in BACKUP (no advert, no VIP) for this long after a start, not after a reload; adverts heard meanwhile count",
    },
    {
      ...keyword<GlobalDefs>("director_ready_timeout", (stmt, target, diag: Diagnostics) => {
        const tok = requireArg(stmt, 0, `seconds 0..${DIRECTOR_READY_TIMEOUT_MAX_S}`, diag);
        const seconds = tok && parseFixedDecimal(tok, "director_ready_timeout", 0, DIRECTOR_READY_TIMEOUT_MAX_S, 3, diag);
        if (seconds === undefined) return;
        warnExtraArgs(stmt, 1, diag);
        setField(target, "directorReadyTimeoutS", seconds, stmt);
      }),
      note: `at start, with virtual servers, the VRRP instances are held as by vrrp_startup_delay until the director has programmed IPVS (or found it unavailable), for at most this many seconds (default ${DEFAULT_DIRECTOR_READY_TIMEOUT_S}; 0: not held)`,
    },
  ];
}
