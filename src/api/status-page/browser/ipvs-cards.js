// The status page's director section (browser code, inlined as text): GET /ipvs/state's
// IpvsView (src/api/ports.ts) -> a line when the director cannot program the kernel, a line
// for the kernel settings the preflight found wrong, and a card per virtual server with its
// real servers and their drain buttons. Pure.

function ipvsSection(view, actions, nowMs) {
  if (!view) return "";
  const cards = view.virtualServers.map((vs) => virtualServerCard(vs, view.available, actions, nowMs)).join("");
  return `<h2 class="section">IPVS director <span class="muted small">${directorFacts(view, nowMs)}</span></h2>
${view.available ? "" : `<p class="director-down" data-role="director-down"><b>Director unavailable:</b> ${esc(view.reason || "no reason given")}. VRRP and the health checks run on; the kernel's table is not being programmed.</p>`}
${preflightLine(view.preflight)}
${checkSchedulerLine(view.checkScheduler)}
<div class="cards vs-cards">${cards || '<p class="muted">No virtual servers.</p>'}</div>`;
}

/** The sysctls not as the configuration needs them, each with why on hover; nothing while all are right. */
function preflightLine(preflight) {
  const wrong = preflight ? preflight.sysctls.filter((s) => !s.ok) : [];
  if (wrong.length === 0) return "";
  const items = wrong.map(
    (s) =>
      `<span class="mono" title="${esc(s.reason)}">${esc(s.name)}</span> ${s.value === undefined ? "missing" : `is ${esc(s.value)}`}, should be ${esc(s.wanted)}`,
  );
  const hint = preflight.setSysctls ? "tandem could not set it" : "set it, or let tandem with ipvs_set_sysctls";
  return `<p class="warn" data-role="preflight"><b>Kernel settings:</b> ${items.join(" · ")} <span class="muted small">(${hint})</span></p>`;
}

/** The health checks' scheduler: its load and how late it runs; marked when checks wait for a free slot or stop in overdue. */
function checkSchedulerLine(scheduler) {
  if (!scheduler) return "";
  const parts = [
    `${esc(scheduler.probes)} probe${scheduler.probes === 1 ? "" : "s"}`,
    `${esc(scheduler.running)} running (at most ${esc(scheduler.maxConcurrent)})`,
  ];
  if (scheduler.startLatenessMs) parts.push(`start lateness p99 ${esc(latency(scheduler.startLatenessMs.p99))}`);
  if (scheduler.loopLagMs) parts.push(`loop lag p99 ${esc(latency(scheduler.loopLagMs.p99))}`);
  const troubled = scheduler.backlog > 0 || scheduler.overdue > 0;
  if (scheduler.backlog > 0) parts.push(`<b class="bad">${esc(scheduler.backlog)} waiting, the oldest ${esc(latency(scheduler.oldestWaitMs))}</b>`);
  if (scheduler.overdue > 0) parts.push(`<b class="bad">${esc(scheduler.overdue)} past their timeout</b>`);
  return `<p class="${troubled ? "warn" : "muted small"}" data-role="check-scheduler"><b>Health checks:</b> ${parts.join(" · ")}</p>`;
}

function directorFacts(view, nowMs) {
  const parts = [];
  const p = view.preflight;
  if (p && p.version !== undefined) parts.push(`IPVS ${esc(p.version)}, table ${esc(p.connectionTableSize)}`);
  if (view.lastApply) {
    const a = view.lastApply;
    const failed = a.failures > 0 ? `, <b class="bad">${esc(a.failures)} failed</b>` : "";
    parts.push(`last apply ${ageSpan(a.atMs, nowMs)} (${esc(a.cause)}: ${esc(a.writes)} write${a.writes === 1 ? "" : "s"}${failed}, ${esc(a.durationMs)} ms)`);
  }
  parts.push(`${esc(view.driftRepairs)} drift repairs`);
  if (view.foreignServices.length > 0) parts.push(`${esc(view.foreignServices.length)} foreign services left alone`);
  return parts.join(" · ");
}

/** Green while it serves its real servers, red while quorum is lost or the sorry server stands in, grey while the kernel is not programmed. */
function virtualServerCard(vs, available, actions, nowMs) {
  const down = !vs.quorum.up || (vs.sorryServer && vs.sorryServer.active);
  const tone = !available ? "is-init" : down ? "is-fault" : "is-master";
  const flags = vs.flags.map((f) => (f === "persistent" ? `persistent ${esc(vs.persistenceTimeoutS)} s` : esc(f)));
  const services = vs.services.length === 1 && vs.services[0] === vs.id ? "" : `<p class="facts mono">${vs.services.map(esc).join(", ")}</p>`;
  return `<article class="card vs ${tone}" data-vs="${esc(vs.id)}">
  <header class="card-head"><h2 class="name mono">${esc(vs.id)}</h2>
    <span class="pill ${vs.quorum.up ? "is-master" : "is-fault"}" data-role="quorum">${vs.quorum.up ? "quorum up" : "quorum lost"}</span></header>
  ${services}
  <p class="facts">${[esc(vs.scheduler), ...flags].join(" · ")} · live weight <b>${esc(vs.quorum.liveWeight)}</b> of quorum ${esc(vs.quorum.quorum)}${vs.quorum.hysteresis ? ` ± ${esc(vs.quorum.hysteresis)}` : ""}</p>
  ${sorryServerLine(vs.sorryServer)}
  ${realServerTable(vs, actions, nowMs)}
</article>`;
}

function sorryServerLine(sorry) {
  if (!sorry) return "";
  const where = `${esc(sorry.address)}:${esc(sorry.port)}`;
  return sorry.active
    ? `<p class="warn" data-role="sorry"><b>Sorry server ${where} in place of the real servers</b></p>`
    : `<p class="muted small" data-role="sorry">sorry server ${where} standing by</p>`;
}

function realServerTable(vs, actions, nowMs) {
  if (vs.realServers.length === 0) return '<p class="muted small">no real servers</p>';
  const rows = vs.realServers.map((rs) => realServerRow(vs, rs, actions[drainKey(vs.id, rs.id)], nowMs));
  return `<table class="real-servers"><thead><tr><th>real server</th><th class="num" title="desired / in the kernel">weight</th><th>health</th><th class="num" title="active / inactive">conns</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function realServerRow(vs, rs, action, nowMs) {
  const desired = rs.desiredWeight === undefined ? "out" : esc(rs.desiredWeight);
  const kernel = rs.kernelWeight === undefined ? "—" : esc(rs.kernelWeight);
  const lagging = rs.desiredWeight !== rs.kernelWeight;
  // A ramp says itself, with its target and time left (slowStartBadge).
  const why = rs.reason !== "alive" && rs.reason !== "failed" && !rs.slowStart ? ` <span class="muted">${esc(rs.reason)}</span>` : "";
  const change = rs.lastChange ? ` title="${esc(`${rs.lastChange.cause}: ${rs.lastChange.detail} (${clockTime(rs.lastChange.atMs, nowMs)})`)}"` : "";
  return `<tr data-rs="${esc(rs.id)}">
    <td class="mono">${esc(rs.id)} <span class="muted small">${esc(rs.forward)}</span></td>
    <td class="num${lagging ? " warn" : ""}" data-role="weight">${desired} / ${kernel}</td>
    <td data-role="health"${change}><span class="${rs.alive ? "ok" : "bad"}">${rs.alive ? "alive" : "failed"}</span>${why}${slowStartBadge(rs, nowMs)}${drainBadge(rs, nowMs)}${checkerLines(rs)}</td>
    <td class="num" data-role="conns">${esc(rs.activeConnections)} / ${esc(rs.inactiveConnections)}<div class="muted small">${esc(rs.connectionsPerSecond)}/s</div></td>
    <td>${drainControl(vs, rs, action)}</td>
  </tr>`;
}

/** Each checker that is down or cannot run says why; every checker with stats its recent latency and flaps. */
function checkerLines(rs) {
  return (rs.checkers || [])
    .map((c) => {
      const parts = [`${esc(c.id)} <span class="${c.state === "down" ? "bad" : c.state === "up" ? "ok" : "muted"}">${esc(c.state)}</span>`];
      if (c.state === "down" && c.lastChange) parts.push(esc(c.lastChange.text));
      if (c.problem) parts.push(esc(c.problem));
      const s = c.stats;
      if (s && s.latencyMs) parts.push(`p50 ${esc(latency(s.latencyMs.p50))} p99 ${esc(latency(s.latencyMs.p99))}`);
      if (s && s.flaps > 0) parts.push(`${esc(s.flaps)} flap${s.flaps === 1 ? "" : "s"}`);
      return `<div class="muted small" data-role="checker">${parts.join(" · ")}</div>`;
    })
    .join("");
}

function latency(ms) {
  return ms < 1000 ? `${Number(ms.toFixed(ms < 10 ? 1 : 0))} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** tandem's slowstart: back from a failure, its weight ramping up to its full weight. */
function slowStartBadge(rs, nowMs) {
  if (!rs.slowStart) return "";
  return ` <span class="badge maint" data-role="slow-start" title="slowstart: its weight ramps up to ${esc(rs.slowStart.weight)}">slow start · ${esc(duration(rs.slowStart.untilMs - nowMs))} left</span>`;
}

function drainBadge(rs, nowMs) {
  if (rs.draining) return ` <span class="badge maint" data-role="draining">draining · ${esc(duration(rs.draining.deadlineMs - nowMs))} left</span>`;
  return rs.drained ? ' <span class="badge maint" data-role="drained">drained</span>' : "";
}

/** "virtual server|real server": the key of a drain request's outcome. */
function drainKey(vs, rs) {
  return `${vs}|${rs}`;
}

/** The button and the outcome of the last request ({ busy, error, text }) for this real server. */
function drainControl(vs, rs, action) {
  const on = !rs.drained;
  const result = action ? `<div class="result ${action.error ? "bad" : action.busy ? "muted" : "ok"}" role="status">${esc(action.text)}</div>` : "";
  return `<button type="button" class="${on ? "" : "primary"}" data-action="drain" data-vs="${esc(vs.id)}" data-rs="${esc(rs.id)}" data-on="${on}"${action && action.busy ? " disabled" : ""}>${on ? "Drain" : "Undrain"}</button>${result}`;
}
