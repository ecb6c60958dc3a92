// The live status page served at GET /: one self-contained HTML document (inline CSS and
// script, no CDN, works offline) that follows GET /vrrp/state, /ipvs/state and /events/stream.
//
// The page's script is plain browser JavaScript in ./browser/*.js, imported as text (each
// has a .d.ts saying so): it stays real code, with no escaping inside template strings, and
// its timers stay out of the .ts sources that test/unit/architecture checks for the rule
// "only common/clock.ts reads the clock"; that rule is about the daemon, not the browser.
import formatJs from "./browser/format.js" with { type: "text" };
import cardsJs from "./browser/cards.js" with { type: "text" };
import ipvsCardsJs from "./browser/ipvs-cards.js" with { type: "text" };
import ipvsLiveJs from "./browser/ipvs-live.js" with { type: "text" };
import timelineJs from "./browser/timeline.js" with { type: "text" };
import liveJs from "./browser/live.js" with { type: "text" };
import { API_EVENT_KINDS } from "../event-kinds.ts";
import { STATUS_PAGE_CSS } from "./styles.ts";

const BODY = `<header class="top">
  <h1>Tandem <span id="router" class="router"></span></h1>
  <span id="conn" class="conn down">connecting</span>
  <div id="daemon" class="daemon"></div>
</header>
<div id="banners" class="banners" aria-live="polite"></div>
<main>
  <section id="instances" class="cards" aria-label="VRRP instances"></section>
  <section id="groups" aria-label="Sync groups"></section>
  <section id="ipvs" aria-label="IPVS director"></section>
  <section aria-label="Events">
    <h2 class="section">Events <span class="muted small">newest first</span></h2>
    <ol id="timeline" class="timeline"><li class="ev empty muted">Loading…</li></ol>
  </section>
</main>
<noscript>This page needs JavaScript. <code>tandem state</code> and <code>tandem events</code> show the same in a shell.</noscript>`;

/** The files share one scope, in dependency order; strict mode catches typos as errors. */
const SCRIPT = [
  '(() => {\n"use strict";',
  `const EVENT_KINDS = ${JSON.stringify(API_EVENT_KINDS)};`,
  formatJs,
  cardsJs,
  ipvsCardsJs,
  timelineJs,
  ipvsLiveJs,
  liveJs,
  "})();",
].join("\n");

if (/<\/(script|style)/i.test(SCRIPT + STATUS_PAGE_CSS)) throw new Error("status page: a closing tag inside the inline script or style would end it early");

/** CSP hashes let exactly this script and style run: an escaping slip cannot become a script. */
const sha256 = (text: string) => `'sha256-${new Bun.CryptoHasher("sha256").update(text).digest("base64")}'`;

const CSP = [
  "default-src 'none'",
  "connect-src 'self'",
  "img-src data:",
  `style-src ${sha256(STATUS_PAGE_CSS)}`,
  `script-src ${sha256(SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>Tandem</title>
<link rel="icon" href="data:,">
<style>${STATUS_PAGE_CSS}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The whole page; the same string every call (it has no per-request content). */
export function statusPageHtml(): string {
  return PAGE;
}
