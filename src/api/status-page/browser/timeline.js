// The status page's timeline, banners and daemon line (browser code, inlined as text):
// TandemEvent / DaemonView (src/store/event.ts, src/api/ports.ts) -> HTML. Pure.

/** Kind -> colour class; a transition is coloured by the state it went to. */
function eventTone(event) {
  switch (event.kind) {
    case "vrrp.transition":
    case "group.transition":
      return `is-${stateClass(event.data && event.data.to)}`;
    case "vrrp.split-brain":
    case "history.degraded":
    case "api.refused":
    case "process.exit":
      return "tone-bad";
    case "tracker.change":
      return event.data && event.data.healthy ? "tone-ok" : "tone-warn";
    case "config.reload":
      return event.data && event.data.ok ? "" : "tone-bad";
    case "api.action":
    case "vrrp.priority":
    case "ipvs.drain":
    case "ipvs.drift-repaired":
      return "tone-warn";
    case "ipvs.quorum":
      return event.data && event.data.state === "regained" ? "tone-ok" : "tone-bad";
    case "ipvs.sorry-server":
      return event.data && event.data.state === "out" ? "tone-ok" : "tone-warn";
    case "ipvs.director":
      return event.data && event.data.available ? "tone-ok" : "tone-bad";
    case "vrrp.hold":
      return event.data && event.data.held ? "tone-warn" : "tone-ok";
    case "ipvs.apply":
      return event.data && event.data.failures > 0 ? "tone-bad" : "";
    case "ipvs.sysctl":
      return event.data && event.data.failures && event.data.failures.length > 0 ? "tone-bad" : "tone-warn";
    case "ipvs.real-server":
      return event.data && event.data.change === "removed" ? "tone-warn" : "";
    case "ipvs.checker":
      return event.data && event.data.state === "down" ? "tone-bad" : "tone-ok";
    default:
      return "";
  }
}

/** The facts worth a glance beside the summary: takeover time, cause, exit codes. */
function eventChips(event) {
  const d = event.data || {};
  const chips = [];
  if (event.kind === "vrrp.transition") {
    if (typeof d.takeoverMs === "number") chips.push(`<span class="chip takeover">takeover ${esc(takeoverText(d.takeoverMs))}</span>`);
    if (d.cause && !String(event.summary).includes(d.cause)) chips.push(`<span class="chip">${esc(d.cause)}</span>`);
  }
  if (event.kind === "notify.run" && d.exitCode !== 0)
    chips.push(`<span class="chip bad">exit ${esc(d.timedOut ? "timeout" : (d.exitCode ?? d.signal))}</span>`);
  if (event.kind === "api.action" && d.caller && !String(event.summary).includes(d.caller.address))
    chips.push(`<span class="chip">by ${esc(d.caller.address)}</span>`);
  return chips.join("");
}

function timelineRow(event, nowMs) {
  return `<li class="ev ${eventTone(event)}" data-id="${Number(event.id)}" data-kind="${esc(event.kind)}">
  <time datetime="${esc(new Date(event.atMs).toISOString())}" title="${esc(fullTime(event.atMs))}">${esc(clockTime(event.atMs, nowMs))}</time>
  <span class="kind">${esc(event.kind)}</span>
  <span class="inst">${esc(event.instance || "")}</span>
  <span class="summary">${esc(event.summary)}${eventChips(event)}</span>
</li>`;
}

function timelineList(events, nowMs) {
  if (events.length === 0) return '<li class="empty muted">No events yet.</li>';
  return events.map((e) => timelineRow(e, nowMs)).join("");
}

/** Banners, most urgent first: the live feed being down, a split brain, a degraded history. */
function bannerList(daemon, stream, nowMs) {
  const out = [];
  if (!stream.up) {
    const retry = stream.retryAtMs ? ` — next try in ${esc(duration(stream.retryAtMs - nowMs))}` : "";
    const asOf = stream.stateAtMs ? ` Showing the state as of ${esc(clockTime(stream.stateAtMs, nowMs))}.` : "";
    out.push(
      `<div class="banner warn" data-banner="stream"><b>${stream.attempt ? "Reconnecting" : "Connecting"}</b> to the live event stream${retry}.${asOf}</div>`,
    );
  }
  if (stream.stateError) out.push(`<div class="banner bad" data-banner="state"><b>Cannot read the state:</b> ${esc(stream.stateError)}</div>`);
  if (daemon && daemon.lastSplitBrain) {
    const s = daemon.lastSplitBrain;
    out.push(
      `<div class="banner bad" data-banner="split-brain"><b>Split brain seen</b> on ${esc(s.instance)}: ${esc(s.peer)} also advertised as master, ${esc(clockTime(s.atMs, nowMs))} (${ageSpan(s.atMs, nowMs)}). Check the link between the two boxes.</div>`,
    );
  }
  if (daemon && daemon.history && daemon.history.state === "degraded") {
    const h = daemon.history;
    const since = h.sinceMs ? ` since ${esc(clockTime(h.sinceMs, nowMs))}` : "";
    const reason = h.reason || "unknown reason";
    const where = reason.includes(h.path) ? "" : ` (${esc(h.path)})`;
    const dropped = h.droppedEvents > 0 ? ` ${esc(h.droppedEvents)} events could not be stored.` : "";
    out.push(
      `<div class="banner bad" data-banner="history"><b>Event history degraded</b>${since}: ${esc(reason)}${where}.${dropped} VRRP keeps running, and events still stream to this page.</div>`,
    );
  }
  if (daemon && daemon.history && daemon.history.state === "ok" && daemon.history.notice) {
    out.push(`<div class="banner info" data-banner="history-notice"><b>Event history:</b> ${esc(daemon.history.notice)}</div>`);
  }
  return out.join("");
}

function daemonLine(daemon, nowMs) {
  if (!daemon) return "";
  const parts = [
    `tandem ${esc(daemon.version)}`,
    `pid ${esc(daemon.pid)}`,
    `up ${ageSpan(daemon.startedAtMs, nowMs, "")}`,
    `<span class="mono">${esc(daemon.configFile)}</span>`,
    `history ${daemon.history && daemon.history.state === "ok" ? "ok" : '<b class="bad">degraded</b>'}`,
  ];
  return parts.filter(Boolean).join(" · ");
}
