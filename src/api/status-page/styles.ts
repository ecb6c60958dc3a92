// The status page's stylesheet: calm, dense, dark-on-light; two card columns on a laptop,
// one on a phone. State is always colour AND text, so it reads without colour too.
export const STATUS_PAGE_CSS = `
:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1d232b; --muted: #5d6673; --line: #d9dde3;
  --master: #176b2f; --master-bg: #dcf5e3; --backup: #0b57a4; --backup-bg: #deecfb;
  --fault: #a8231a; --fault-bg: #fde3e1; --idle: #505a66; --idle-bg: #e8ebef;
  --warn: #7d5300; --warn-bg: #fff3c4;
  --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1, h2 { margin: 0; }
b { font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; }
th, td { padding: 3px 8px 3px 0; vertical-align: top; border-bottom: 1px solid var(--line); }
tr:last-child td { border-bottom: 0; }
.mono { font-family: var(--mono); font-size: 13px; }
.muted { color: var(--muted); }
.small { font-size: 12px; font-weight: 400; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: var(--master); }
.warn { color: var(--warn); }
.bad { color: var(--fault); }

.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
.top h1 { font-size: 17px; letter-spacing: .02em; }
.top .router { font-weight: 500; color: var(--muted); }
.top .router:not(:empty)::before { content: "\\00b7\\00a0"; }
.daemon { color: var(--muted); font-size: 13px; }
.conn { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; }
.conn::before { content: "\\25CF\\00a0"; }
.conn.up { color: var(--master); background: var(--master-bg); }
.conn.down { color: var(--warn); background: var(--warn-bg); }

main { padding: 14px 20px 28px; max-width: 1600px; }
.banners:empty { display: none; }
.banners { padding: 10px 20px 0; display: grid; gap: 6px; }
.banner { padding: 8px 12px; border-radius: 6px; border: 1px solid; }
.banner.warn { color: var(--warn); background: var(--warn-bg); border-color: #e8cf6d; }
.banner.bad { color: var(--fault); background: var(--fault-bg); border-color: #f1a8a2; }
.banner.info { color: var(--backup); background: var(--backup-bg); border-color: #a9c9ee; }

.cards { display: grid; gap: 14px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--idle); border-radius: 6px; padding: 10px 14px 12px; min-width: 0; }
.card.is-master { border-left-color: var(--master); }
.card.is-backup { border-left-color: var(--backup); }
.card.is-fault { border-left-color: var(--fault); }
.card-head { display: flex; align-items: center; gap: 8px; }
.card-head .name { font-size: 17px; overflow-wrap: anywhere; }
.card-head .pill { margin-left: auto; font-size: 13px; padding: 2px 12px; }
.facts { margin: 2px 0 8px; color: var(--muted); font-size: 13px; }
.facts b { color: var(--ink); }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0 0 8px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.trackers { font-size: 13px; margin-top: 4px; }
.trackers .detail { color: var(--muted); max-width: 0; width: 45%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card-foot { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; margin-top: 10px; }
.result { font-size: 13px; }

.pill { display: inline-block; font-weight: 700; font-size: 12px; letter-spacing: .04em; padding: 0 8px; border-radius: 10px; color: var(--idle); background: var(--idle-bg); }
.pill.is-master { color: var(--master); background: var(--master-bg); }
.pill.is-backup { color: var(--backup); background: var(--backup-bg); }
.pill.is-fault { color: var(--fault); background: var(--fault-bg); }
.badge { font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; padding: 1px 6px; border-radius: 4px; }
.badge.maint { color: var(--warn); background: var(--warn-bg); border: 1px solid #e8cf6d; }

button { font: inherit; font-size: 13px; padding: 4px 12px; border-radius: 5px; border: 1px solid #b9c0ca; background: #fff; color: var(--ink); cursor: pointer; }
button:hover { background: var(--warn-bg); border-color: #d4b445; }
button.primary { background: var(--backup); border-color: var(--backup); color: #fff; }
button.primary:hover { background: #094a8c; }
button:disabled { opacity: .6; cursor: progress; }
button:focus-visible { outline: 2px solid var(--backup); outline-offset: 2px; }

.section { font-size: 14px; margin: 20px 0 6px; }
.director-down { margin: 0 0 10px; padding: 8px 12px; border-radius: 6px; border: 1px solid #f1a8a2; color: var(--fault); background: var(--fault-bg); }
.real-servers { font-size: 13px; margin-top: 4px; }
.real-servers td:last-child { text-align: right; }
.real-servers button { padding: 2px 10px; white-space: nowrap; }
.real-servers .num { white-space: nowrap; }
.vs-cards { grid-template-columns: repeat(auto-fit, minmax(min(100%, 540px), 1fr)); }
/* A table wider than its card scrolls inside it rather than reaching under the next card. */
.card.vs { overflow-x: auto; }
.real-servers .result { display: block; max-width: 18em; margin-left: auto; text-align: left; overflow-wrap: anywhere; }
.groups { background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
.groups th, .groups td { padding: 5px 10px; }

/* One grid for the list, rows as subgrids: the columns line up across events whatever their width. */
.timeline { list-style: none; margin: 0; padding: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; display: grid; grid-template-columns: max-content max-content max-content 1fr; }
.ev { grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; gap: 0 14px; padding: 5px 10px; border-bottom: 1px solid var(--line); border-left: 4px solid transparent; align-items: baseline; }
.ev:last-child { border-bottom: 0; }
.ev time { font-variant-numeric: tabular-nums; color: var(--muted); white-space: nowrap; }
.ev .kind { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.ev .inst { font-weight: 600; overflow-wrap: anywhere; }
.ev .summary { min-width: 0; overflow-wrap: anywhere; }
.ev.is-master { border-left-color: var(--master); }
.ev.is-backup { border-left-color: var(--backup); }
.ev.is-fault, .ev.tone-bad { border-left-color: var(--fault); }
.ev.tone-warn { border-left-color: #d4a72c; }
.ev.tone-ok { border-left-color: #7cc48f; }
.ev.empty { display: block; grid-column: 1 / -1; }
.chip { display: inline-block; margin-left: 8px; font-size: 12px; padding: 0 6px; border-radius: 4px; background: var(--idle-bg); color: var(--idle); }
.chip.takeover { background: var(--master-bg); color: var(--master); font-weight: 600; }
.chip.bad { background: var(--fault-bg); color: var(--fault); }

@media (max-width: 640px) {
  .top, main, .banners { padding-left: 10px; padding-right: 10px; }
  .daemon { flex-basis: 100%; }
  .timeline { display: block; }
  .ev { grid-template-columns: auto auto 1fr; gap: 0 10px; }
  .ev .summary { grid-column: 1 / -1; }
  .trackers .detail, .trackers th:last-child { display: none; }
}
`;
