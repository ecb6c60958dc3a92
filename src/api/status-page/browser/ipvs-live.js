// The status page's director loop (browser code, inlined as text, before live.js, whose
// helpers it shares): reads /ipvs/state when /vrrp/state says a director runs (so a VRRP-only
// box is never asked for it), every few seconds for the connection counts, and sends drains.

const IPVS_POLL_MS = 5000;

const ipvsPage = {
  view: null, // GET /ipvs/state: IpvsView, or null when no director runs
  actions: {}, // drainKey -> { busy, error, text } of the last drain request
  loading: false,
};

/** Called by live.js with each /vrrp/state body: a director runs or not. */
function followDirector(runs) {
  if (runs) return loadIpvs();
  if (ipvsPage.view) {
    ipvsPage.view = null;
    renderIpvs();
  }
}

async function loadIpvs() {
  if (ipvsPage.loading) return;
  ipvsPage.loading = true;
  try {
    const res = await fetch("/ipvs/state", { cache: "no-store", headers: readHeaders() });
    // 404: the director went away with a reload; other failures leave the last view shown.
    if (res.status === 404) ipvsPage.view = null;
    else if (res.ok) ipvsPage.view = await res.json();
  } catch {
    // The state banner reports a daemon that does not answer.
  } finally {
    ipvsPage.loading = false;
  }
  renderIpvs();
}

function renderIpvs() {
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("button[data-action='drain']");
  const refocus = focused && drainKey(focused.dataset.vs, focused.dataset.rs);
  $("ipvs").innerHTML = ipvsSection(ipvsPage.view, ipvsPage.actions, nowMs());
  if (refocus) {
    const again = [...document.querySelectorAll("button[data-action='drain']")].find((b) => drainKey(b.dataset.vs, b.dataset.rs) === refocus);
    if (again) again.focus();
  }
}

async function setDrain(vs, rs, on) {
  if (
    on &&
    !confirm(`Drain ${rs} of ${vs}?\n\nIts weight goes to 0: new connections go to the other real servers, and it leaves the pool once its connections end.`)
  )
    return;
  const token = actionToken("drain");
  if (!token) return;
  const key = drainKey(vs, rs);
  ipvsPage.actions[key] = { busy: true, text: on ? "draining…" : "undraining…" };
  renderIpvs();
  ipvsPage.actions[key] = await actionRequest(
    `/ipvs/virtual-servers/${encodeURIComponent(vs)}/real-servers/${encodeURIComponent(rs)}/drain`,
    on,
    token,
    on ? "drained" : "undrained",
  );
  renderIpvs();
  loadIpvs();
}

document.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action='drain']");
  if (button) setDrain(button.dataset.vs, button.dataset.rs, button.dataset.on === "true");
});

setInterval(() => {
  if (ipvsPage.view) loadIpvs();
}, IPVS_POLL_MS);
