// The status page's formatting helpers (browser code, inlined into GET / as text): HTML
// escaping, times, durations. Pure: "now" is always passed in, never read here.

/** Every value that came from the daemon (names come from keepalived.conf) goes through this. */
function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A CSS class from a closed set, so no daemon value ever lands in a class attribute raw. */
function stateClass(state) {
  return { MASTER: "master", BACKUP: "backup", FAULT: "fault", INIT: "init", STOP: "stop" }[state] || "unknown";
}

const pad2 = (n) => String(n).padStart(2, "0");

const timeOfDay = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
const calendarDate = (d) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;

/** Local wall-clock time; the date is added when it is not today, so old events read right. */
function clockTime(atMs, nowMs) {
  const d = new Date(atMs);
  if (new Date(nowMs).toDateString() === d.toDateString()) return timeOfDay(d);
  return `${calendarDate(d)} ${timeOfDay(d)}`;
}

/** The full timestamp with milliseconds, for title attributes. */
function fullTime(atMs) {
  const d = new Date(atMs);
  return `${calendarDate(d)} ${timeOfDay(d)}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** "0.4 s", "12 s", "3 min 4 s", "2 h 5 min", "3 d 4 h": two units at most, for people. */
function duration(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** An age that the page's one-second tick keeps current (see live.js, tickAges). */
function ageSpan(atMs, nowMs, suffix = " ago") {
  return `<span class="age" data-at="${Number(atMs)}" data-suffix="${esc(suffix)}">${esc(duration(nowMs - atMs) + suffix)}</span>`;
}

/** Takeover durations are milliseconds people compare: one decimal below 10 ms. */
function takeoverText(ms) {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function signed(n) {
  return n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : "0";
}
