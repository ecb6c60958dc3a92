// GET /events and /events/stream query strings -> EventFilter, strictly: a typo in a
// parameter name or value is a 400 that says what was wrong, never a silently wider query.
// Sizes are clamped instead: a page larger than the API serves gets the largest page, and
// a time beyond what a date can be gets the last one, each named in a Tandem-Clamped header.
import type { EventFilter, EventKind } from "../store/event.ts";
import { badRequest } from "./errors.ts";
import { API_EVENT_KINDS, isEventKind } from "./event-kinds.ts";

export const MAX_LIMIT = 1000;
const MAX_TEXT = 512;
/** The largest time a JavaScript Date holds (year 275760); later ones are clamped to it. */
export const MAX_TIME_MS = 8.64e15;

/** Query parameters of GET /events; `since`/`until` are what `tandem events` users type. */
export const EVENTS_QUERY_PARAMS = ["sinceMs", "untilMs", "since", "until", "kind", "instance", "limit", "cursor", "order"] as const;
/** GET /events/stream: the filters that make sense for a live feed, plus the replay point. */
export const STREAM_QUERY_PARAMS = ["kind", "instance", "lastEventId"] as const;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const DATE_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/i;

/** The URL's query as name -> every value given, in order. */
export function queryValues(url: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  // Not new URL(url): a request whose Host header is garbage ("[::1]:99999") has a URL that
  // does not parse, while its query string is still perfectly readable.
  const mark = url.indexOf("?");
  const hash = url.indexOf("#", mark);
  const query = mark < 0 ? "" : url.slice(mark + 1, hash < 0 ? undefined : hash);
  for (const [name, value] of new URLSearchParams(query)) {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return values;
}

export function rejectUnknown(values: Map<string, string[]>, known: readonly string[]): void {
  for (const name of values.keys()) {
    if (!known.includes(name)) throw badRequest(`unknown query parameter "${name}"`, `known parameters: ${known.join(", ")}`);
  }
}

/** The one value of a parameter that may appear at most once. */
function single(values: Map<string, string[]>, name: string): string | undefined {
  const all = values.get(name);
  if (!all) return undefined;
  if (all.length > 1) throw badRequest(`query parameter "${name}" given ${all.length} times`, "give it once");
  const value = all[0]!;
  if (value.length === 0) throw badRequest(`query parameter "${name}" is empty`);
  if (value.length > MAX_TEXT) throw badRequest(`query parameter "${name}" is too long`, `at most ${MAX_TEXT} characters`);
  return value;
}

/** Epoch milliseconds ("1764133200000") or an ISO-8601 date or date-time with a zone. */
export function parseTime(name: string, text: string, clamped: string[] = []): number {
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    if (ms > MAX_TIME_MS) {
      clamped.push(`${name}=${MAX_TIME_MS}`);
      return MAX_TIME_MS;
    }
    return ms;
  }
  if (DATE_TIME_WITHOUT_ZONE.test(text)) throw badRequest(`${name} has no time zone`, `"${text}": add Z (UTC) or an offset such as +02:00`);
  const ms = ISO_8601.test(text) ? Date.parse(text.replace(" ", "T")) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`${name} is not a time`, `"${text}": give epoch milliseconds or ISO-8601 such as 2026-11-26T05:00:00Z`);
  return ms;
}

/** kind=a&kind=b and kind=a,b both work; every name must be an event kind. */
export function parseKinds(values: Map<string, string[]>): EventKind[] | undefined {
  const all = values.get("kind");
  if (!all) return undefined;
  const names = all.flatMap((v) => v.split(",")).map((v) => v.trim());
  if (names.some((n) => n.length === 0)) throw badRequest('query parameter "kind" has an empty name');
  for (const name of names) {
    if (!isEventKind(name)) throw badRequest(`unknown event kind "${name.slice(0, 64)}"`, `kinds: ${API_EVENT_KINDS.join(", ")}`);
  }
  return [...new Set(names)] as EventKind[];
}

function parseLimit(text: string | undefined, maxLimit: number, clamped: string[]): number | undefined {
  if (text === undefined) return undefined;
  const limit = /^\d{1,20}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1)) throw badRequest(`limit must be a whole number from 1 (pages hold at most ${maxLimit} events)`, `got "${text.slice(0, 32)}"`);
  if (limit > maxLimit) {
    clamped.push(`limit=${maxLimit}`);
    return maxLimit;
  }
  return limit;
}

function timeParam(values: Map<string, string[]>, name: "sinceMs" | "untilMs", alias: string, clamped: string[]): number | undefined {
  const exact = single(values, name);
  const aliased = single(values, alias);
  if (exact !== undefined && aliased !== undefined) throw badRequest(`give either ${name} or ${alias}, not both`);
  const text = exact ?? aliased;
  return text === undefined ? undefined : parseTime(exact !== undefined ? name : alias, text, clamped);
}

export interface EventsQuery {
  filter: EventFilter;
  /** Parameters clamped to what the API serves, as "name=value" (the Tandem-Clamped header). */
  clamped: string[];
}

export function parseEventsQuery(url: string, maxLimit = MAX_LIMIT): EventsQuery {
  const values = queryValues(url);
  rejectUnknown(values, EVENTS_QUERY_PARAMS);
  const filter: EventFilter = {};
  const clamped: string[] = [];
  const sinceMs = timeParam(values, "sinceMs", "since", clamped);
  const untilMs = timeParam(values, "untilMs", "until", clamped);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) throw badRequest("the time range is empty", "since is later than until");
  const kinds = parseKinds(values);
  const instance = single(values, "instance");
  const limit = parseLimit(single(values, "limit"), maxLimit, clamped);
  const cursor = single(values, "cursor");
  const order = single(values, "order");
  if (order !== undefined && order !== "asc" && order !== "desc") throw badRequest('order must be "asc" or "desc"', `got "${order.slice(0, 32)}"`);
  if (sinceMs !== undefined) filter.sinceMs = sinceMs;
  if (untilMs !== undefined) filter.untilMs = untilMs;
  if (kinds) filter.kinds = kinds;
  if (instance !== undefined) filter.instance = instance;
  if (limit !== undefined) filter.limit = limit;
  if (cursor !== undefined) filter.cursor = cursor;
  if (order !== undefined) filter.order = order;
  return { filter, clamped };
}

export interface StreamQuery {
  kinds?: EventKind[];
  instance?: string;
  /** From ?lastEventId= (the Last-Event-ID header wins when both are sent). */
  lastEventId?: number;
}

/** An event id as EventSource sends it back: a non-negative integer. */
export function parseEventId(text: string, where: string): number {
  const id = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(id)) throw badRequest(`${where} is not an event id`, `got "${text.slice(0, 32)}"; ids are non-negative integers`);
  return id;
}

export function parseStreamQuery(url: string, lastEventIdHeader: string | undefined): StreamQuery {
  const values = queryValues(url);
  rejectUnknown(values, STREAM_QUERY_PARAMS);
  const query: StreamQuery = {};
  const kinds = parseKinds(values);
  const instance = single(values, "instance");
  const fromQuery = single(values, "lastEventId");
  if (kinds) query.kinds = kinds;
  if (instance !== undefined) query.instance = instance;
  // An empty Last-Event-ID header is what a browser sends before it has seen an id.
  if (lastEventIdHeader !== undefined && lastEventIdHeader.trim() !== "") query.lastEventId = parseEventId(lastEventIdHeader, "the Last-Event-ID header");
  else if (fromQuery !== undefined) query.lastEventId = parseEventId(fromQuery, "lastEventId");
  return query;
}
