// The status page's instance cards and sync-group table (browser code, inlined as text):
// GET /vrrp/state's InstanceView / GroupView (src/api/ports.ts) -> HTML. Pure.

function instanceCard(inst, nowMs, action) {
  const cls = stateClass(inst.state);
  return `<article class="card is-${cls}" data-instance="${esc(inst.name)}">
  <header class="card-head">
    <h2 class="name">${esc(inst.name)}</h2>
    ${inst.maintenance ? '<span class="badge maint">maintenance</span>' : ""}
    ${inst.held ? `<span class="badge maint" data-role="held" title="held in BACKUP at start by ${esc(inst.held.by.join(" and "))}">held</span>` : ""}
    <span class="pill is-${cls}" data-role="state">${esc(inst.state)}</span>
  </header>
  <p class="facts">VRID <b>${esc(inst.vrid)}</b> · ${esc(inst.interface)} · VRRPv${esc(inst.version)} · advert ${esc(inst.advertIntervalMs / 1000)} s · from ${esc(inst.sourceAddress)}</p>
  <dl class="kv">
    <dt>Priority</dt><dd>${priorityText(inst)}</dd>
    <dt>VIPs</dt><dd class="mono">${vipList(inst)}</dd>
    <dt>Master</dt><dd data-role="master">${masterText(inst, nowMs)}</dd>
    <dt>In state</dt><dd>since ${esc(clockTime(inst.stateSinceMs, nowMs))} · ${ageSpan(inst.stateSinceMs, nowMs, "")}</dd>
    <dt>Takeover</dt><dd data-role="takeover">${inst.lastTakeoverMs === undefined ? '<span class="muted">none since start</span>' : `last <b>${esc(takeoverText(inst.lastTakeoverMs))}</b>`}</dd>
    ${inst.syncGroup ? `<dt>Sync group</dt><dd>${esc(inst.syncGroup)}</dd>` : ""}
  </dl>
  ${trackerTable(inst.trackers)}
  <footer class="card-foot">${maintenanceControl(inst, action)}</footer>
</article>`;
}

/** virtual_ipaddress, then virtual_ipaddress_excluded marked as such. */
function vipList(inst) {
  const excluded = inst.excludedVips.map((v) => `${esc(v)} <span class="muted">(excluded)</span>`);
  return [...inst.vips.map(esc), ...excluded].join("<br>") || '<span class="muted">none</span>';
}

function priorityText(inst) {
  const delta = inst.effectivePriority - inst.basePriority;
  const base = delta === 0 ? `base ${esc(inst.basePriority)}` : `base ${esc(inst.basePriority)}, ${esc(signed(delta))}`;
  return `<b>${esc(inst.effectivePriority)}</b> <span class="muted">(${base})</span>`;
}

/** Who is master as this box sees it: itself, or the peer whose adverts it hears. */
function masterText(inst, nowMs) {
  const heard = inst.master;
  const peer = heard && `${esc(heard.address)} · prio ${esc(heard.priority)} · heard ${ageSpan(heard.lastSeenAtMs, nowMs)}`;
  if (inst.state === "MASTER") {
    const other = heard && heard.address !== inst.sourceAddress;
    return `<b>this box</b>${other ? `<div class="muted">last other master: ${peer}</div>` : ""}`;
  }
  if (!heard) return '<span class="muted">none heard</span>';
  // More than three intervals without an advert is when a backup would take over.
  const stale = nowMs - heard.lastSeenAtMs > 3 * inst.advertIntervalMs;
  return `<span class="${stale ? "warn" : ""}">${peer}</span>`;
}

function trackerTable(trackers) {
  if (!trackers || trackers.length === 0) return '<p class="muted small">no trackers</p>';
  const rows = trackers.map((t) => {
    const status = t.fault ? "FAULT" : t.healthy ? "ok" : "failed";
    const statusClass = t.fault ? "bad" : t.healthy ? "ok" : "warn";
    return `<tr>
      <td><span class="muted">${esc(t.kind)}</span> ${t.kind === "maintenance" ? "" : esc(t.name)}</td>
      <td class="${statusClass}">${status}</td>
      <td class="num">${t.contribution === 0 ? '<span class="muted">0</span>' : esc(signed(t.contribution))}</td>
      <td class="detail" title="${esc(t.detail)}">${esc(t.detail)}</td>
    </tr>`;
  });
  return `<table class="trackers"><thead><tr><th>tracker</th><th>state</th><th class="num">prio</th><th>detail</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The button and the outcome of the last request ({ busy, error, text }) for this instance. */
function maintenanceControl(inst, action) {
  const on = !inst.maintenance;
  const label = on ? "Enter maintenance" : "Leave maintenance";
  const result = action ? `<span class="result ${action.error ? "bad" : action.busy ? "muted" : "ok"}" role="status">${esc(action.text)}</span>` : "";
  return `<button type="button" class="${on ? "" : "primary"}" data-action="maintenance" data-instance="${esc(inst.name)}" data-on="${on}"${action && action.busy ? " disabled" : ""}>${label}</button>${result}`;
}

function groupsTable(groups) {
  if (!groups || groups.length === 0) return "";
  const rows = groups.map(
    (g) =>
      `<tr><td><b>${esc(g.name)}</b></td><td><span class="pill is-${stateClass(g.state)}">${esc(g.state)}</span></td><td class="mono">${g.members.map(esc).join(", ")}</td></tr>`,
  );
  return `<h2 class="section">Sync groups</h2><table class="groups"><thead><tr><th>group</th><th>state</th><th>members</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
