// The status page's live loop (browser code, inlined as text): reads /vrrp/state and
// /events, follows /events/stream with reconnect and backoff, sends maintenance requests
// (the director's part is in ipvs-live.js).
// On a box with api_reads_need_token the reads answer 401: the page then asks for the token
// once, sends it as a header (never in a URL), and reads the stream with fetch, since
// EventSource cannot send headers.

// EVENT_KINDS is defined before this file by ../index.ts (from api/event-kinds.ts): the
// stream names every event (`event: <kind>`), and EventSource only delivers names it listens for.
const TIMELINE_MAX = 200;
const REFRESH_DEBOUNCE_MS = 100;
const BACKOFF_MS = { first: 500, max: 10000 };
const TOKEN_KEY = "tandem.apiToken";

const page = {
  body: null, // GET /vrrp/state: { daemon, instances, groups }
  events: [], // newest first
  actions: {}, // instance name -> { busy, error, text } of the last maintenance request
  stream: { up: false, attempt: 0, retryAtMs: 0, stateAtMs: 0, stateError: "" },
  clockOffsetMs: 0, // appliance clock minus this browser's clock, when they disagree
  refreshTimer: 0, // set while a refresh is scheduled: one per burst of events
  lastStreamedId: 0,
  readsNeedToken: false, // learned from a 401 on a read
};

const $ = (id) => document.getElementById(id);
const nowMs = () => Date.now() + page.clockOffsetMs;

function render() {
  const now = nowMs();
  const body = page.body;
  $("conn").textContent = page.stream.up ? "live" : page.stream.attempt ? "reconnecting" : "connecting";
  $("conn").className = page.stream.up ? "conn up" : "conn down";
  $("banners").innerHTML = bannerList(body && body.daemon, page.stream, now);
  if (!body) return;
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("button[data-instance]");
  const refocus = focused && focused.dataset.instance;
  $("router").textContent = body.daemon.routerId || "";
  $("daemon").innerHTML = daemonLine(body.daemon, now);
  $("instances").innerHTML =
    body.instances.map((i) => instanceCard(i, now, page.actions[i.name])).join("") || '<p class="muted">No VRRP instances configured.</p>';
  $("groups").innerHTML = groupsTable(body.groups);
  const box = body.daemon.routerId ? `${body.daemon.routerId}: ` : "";
  document.title = `${box}${body.instances.map((i) => `${i.name} ${i.state}`).join(" · ")} — Tandem`;
  // Cards are rebuilt on every change; a keyboard user keeps their place on the button.
  if (refocus) {
    const again = [...document.querySelectorAll("button[data-instance]")].find((b) => b.dataset.instance === refocus);
    if (again) again.focus();
  }
}

function renderTimeline() {
  $("timeline").innerHTML = timelineList(page.events, nowMs());
}

/** Ages tick in place once a second; the rest of the page changes only when the daemon says so. */
function tickAges() {
  const now = nowMs();
  for (const el of document.querySelectorAll(".age[data-at]")) {
    el.textContent = duration(now - Number(el.dataset.at)) + (el.dataset.suffix || "");
  }
  if (!page.stream.up) $("banners").innerHTML = bannerList(page.body && page.body.daemon, page.stream, now);
}

/** Authorization for reads, once the box has said it wants it. */
function readHeaders() {
  const token = page.readsNeedToken ? storedToken() : "";
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A read the box refused for want of the token: ask once, remember it; false if the operator declines. */
function askTokenForReads(status) {
  page.readsNeedToken = true;
  if (status === 403 || !storedToken()) {
    rememberToken("");
    const token = (prompt("This box needs its API token (the contents of api_token_file) to show its state:") || "").trim();
    if (!token) return false;
    rememberToken(token);
  }
  return true;
}

async function loadState(retried) {
  const streamedBefore = page.lastStreamedId;
  const sentAt = Date.now();
  try {
    const res = await fetch("/vrrp/state", { cache: "no-store", headers: readHeaders() });
    if ((res.status === 401 || res.status === 403) && !retried) {
      if (askTokenForReads(res.status)) return loadState(true);
      throw new Error("this box shows its state only with the API token; reload the page to enter it");
    }
    if (!res.ok) throw new Error(`GET /vrrp/state answered ${res.status}`);
    const body = await res.json();
    learnClockOffset(res.headers.get("date"), sentAt);
    // Transitions that streamed in while the request was out may be newer than its answer.
    // (Only streamed ones: history from GET /events may have gaps and must not override.)
    for (const event of page.events.filter((e) => e.streamed && e.id > streamedBefore).reverse()) applyTransition(body, event);
    // A restarted daemon may number its events afresh (a new history file): start the timeline over.
    const restarted = page.body && page.body.daemon.startedAtMs !== body.daemon.startedAtMs;
    page.body = body;
    followDirector(body.ipvsDirector === true);
    if (restarted) {
      page.events = [];
      page.lastStreamedId = 0;
      loadEvents();
    }
    page.stream.stateAtMs = nowMs();
    page.stream.stateError = "";
  } catch (err) {
    page.stream.stateError = err.message;
  }
  render();
}

/** Ages must use the appliance's clock; the Date header is coarse (1 s), so small skews are ignored. */
function learnClockOffset(dateHeader, sentAt) {
  const serverMs = Date.parse(dateHeader || "");
  if (Number.isNaN(serverMs)) return;
  const offset = serverMs + 500 - (sentAt + Date.now()) / 2;
  page.clockOffsetMs = Math.abs(offset) > 2000 ? offset : 0;
}

/** Coalesces a burst of events into one read; unlike a restarting debounce, a steady stream cannot starve it. */
function scheduleRefresh() {
  if (page.refreshTimer) return;
  page.refreshTimer = setTimeout(() => {
    page.refreshTimer = 0;
    loadState();
  }, REFRESH_DEBOUNCE_MS);
}

async function loadEvents() {
  try {
    const res = await fetch(`/events?limit=${TIMELINE_MAX}`, { cache: "no-store", headers: readHeaders() });
    if (!res.ok) return;
    const body = await res.json();
    addEvents(Array.isArray(body) ? body : body.events || []);
    renderTimeline(); // also replaces "Loading…" when there are no events at all
  } catch {
    // The timeline fills from the stream anyway; the state banner reports a dead daemon.
  }
}

function addEvents(list) {
  const known = new Set(page.events.map((e) => e.id));
  const fresh = list.filter((e) => e && typeof e.id === "number" && !known.has(e.id));
  if (fresh.length === 0) return;
  page.events = page.events
    .concat(fresh)
    .sort((a, b) => b.id - a.id)
    .slice(0, TIMELINE_MAX);
  renderTimeline();
}

/** A transition is shown from the event itself at once; the debounced refresh then brings the rest. */
function onStreamEvent(message) {
  let event;
  try {
    event = JSON.parse(message.data);
  } catch {
    return;
  }
  if (!event || typeof event.id !== "number") return;
  event.streamed = true;
  page.lastStreamedId = Math.max(page.lastStreamedId, event.id);
  addEvents([event]);
  if (page.body && applyTransition(page.body, event)) render();
  scheduleRefresh();
}

/** The state a transition event reports, written into a /vrrp/state body; true if it applied. */
function applyTransition(body, event) {
  if (event.kind !== "vrrp.transition" || !event.data) return false;
  const inst = body.instances.find((i) => i.name === event.instance);
  if (!inst) return false;
  inst.state = event.data.to;
  inst.stateSinceMs = event.atMs;
  if (typeof event.data.takeoverMs === "number") inst.lastTakeoverMs = event.data.takeoverMs;
  return true;
}

function streamOpened() {
  page.stream = { ...page.stream, up: true, attempt: 0, retryAtMs: 0 };
  render();
  loadEvents(); // what happened while we were away
  scheduleRefresh();
}

/** Reconnect with backoff: EventSource's own retry has none and gives up on some errors. */
function streamLost() {
  const attempt = page.stream.attempt + 1;
  const delay = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
  page.stream = { ...page.stream, up: false, attempt, retryAtMs: nowMs() + delay };
  render();
  setTimeout(() => {
    loadState();
    connect();
  }, delay);
}

function connect() {
  if (page.readsNeedToken) return connectWithToken();
  const source = new EventSource("/events/stream");
  for (const kind of EVENT_KINDS) source.addEventListener(kind, onStreamEvent);
  source.onmessage = onStreamEvent;
  source.onopen = streamOpened;
  source.onerror = () => {
    source.close();
    streamLost();
  };
}

/** The same stream read with fetch, so the token goes in a header; frames parsed as EventSource would. */
async function connectWithToken() {
  try {
    const headers = { ...readHeaders(), ...(page.lastStreamedId ? { "Last-Event-ID": String(page.lastStreamedId) } : {}) };
    const res = await fetch("/events/stream", { cache: "no-store", headers });
    if (!res.ok || !res.body) throw new Error(`GET /events/stream answered ${res.status}`);
    streamOpened();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) onStreamEvent({ data });
      }
    }
  } catch {
    // Handled as any lost stream, below.
  }
  streamLost();
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

function rememberToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private modes may refuse storage: the operator is then asked on every action.
  }
}

/** The token for an action: the one kept this session, or asked for once; "" if the operator declines. */
function actionToken(what) {
  let token = storedToken();
  if (!token) {
    token = (prompt(`API token (the contents of api_token_file) for ${what} actions:`) || "").trim();
    if (token) rememberToken(token);
  }
  return token;
}

async function setMaintenance(name, on) {
  if (on && !confirm(`Put ${name} into maintenance?\n\nIts priority drops to 1, so the other box takes over its virtual addresses.`)) return;
  const token = actionToken("maintenance");
  if (!token) return;
  page.actions[name] = { busy: true, text: on ? "entering maintenance…" : "leaving maintenance…" };
  render();
  page.actions[name] = await actionRequest(`/vrrp/instances/${encodeURIComponent(name)}/maintenance`, on, token, on ? "in maintenance" : "out of maintenance");
  render();
  scheduleRefresh();
}

/** POST (on) or DELETE (off) an action with the token; the outcome as { error?, text } for the card. */
async function actionRequest(path, on, token, doneText) {
  try {
    const res = await fetch(path, { method: on ? "POST" : "DELETE", headers: { Authorization: `Bearer ${token}` } });
    const body = await res.json().catch(() => ({}));
    const when = clockTime(nowMs(), nowMs());
    if (res.ok) return { text: `${when} ${doneText}${body.detail ? `: ${body.detail}` : ""}` };
    const refused = res.status === 401 || res.status === 403;
    if (refused) rememberToken("");
    const why = `${res.status} ${body.error || res.statusText}${body.detail ? `: ${body.detail}` : ""}`;
    return { error: true, text: `${when} ${refused ? `${why} — token forgotten; you will be asked again` : why}` };
  } catch (err) {
    return { error: true, text: `request failed: ${err.message}` };
  }
}

document.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action='maintenance']");
  if (button) setMaintenance(button.dataset.instance, button.dataset.on === "true");
});

render();
// The first state read tells whether this box wants the token for reads; then the rest follow.
loadState().then(() => {
  loadEvents();
  connect();
});
setInterval(tickAges, 1000);
