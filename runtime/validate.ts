/**
 * What generated validators (`.catzilla/validators.js`) call, and the check a route with a
 * request schema runs before its handler: invalid input is answered 400
 * `application/problem+json` (RFC 9457) listing each failure, and never reaches the handler.
 */
import { isIPv6 } from "node:net";
import { BODY_TEXT, VALIDATED } from "./request.js";
import type { Encoded } from "./writer.js";
import type { FormCheck } from "./form-check.js";

/** One failure: `$.tags[1]` (body), `query.limit`, `headers.x-foo`. */
export interface SchemaError {
  path: string;
  expected: string;
  message: string;
}

/** At most this many failures are listed in a 400. */
export const MAX_ERRORS = 20;

/** Records a failure (while fewer than MAX_ERRORS are listed); always false, for `ok = miss(…)`. */
export function miss(e: SchemaError[], path: string, expected: string, message: string): false {
  if (e.length < MAX_ERRORS) e.push({ path, expected, message });
  return false;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1]) return false;
  return mo !== 2 || d < 29 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
}

/** The `Format<…>` checks (JSON Schema formats; date-time is RFC 3339). */
export const formats: Record<string, (s: string) => boolean> = {
  email: (s) => s.length <= 254 && EMAIL.test(s),
  uuid: (s) => UUID.test(s),
  uri: (s) => URI.test(s),
  date: isDate,
  time: (s) => TIME.test(s),
  "date-time": (s) => {
    const t = s.indexOf("T") >= 0 ? s.indexOf("T") : s.indexOf("t") >= 0 ? s.indexOf("t") : s.indexOf(" ");
    return t === 10 && isDate(s.slice(0, 10)) && TIME.test(s.slice(11));
  },
  ipv4: (s) => IPV4.test(s),
  ipv6: (s) => isIPv6(s),
};

/** Human text for a format, in messages. */
export const FORMAT_NAMES: Record<string, string> = {
  email: "an email address",
  uuid: "a UUID",
  uri: "a URI",
  date: "a date (YYYY-MM-DD)",
  time: "a time (RFC 3339)",
  "date-time": "a date-time (RFC 3339)",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
};

/** `UniqueItems`: no two items are equal as JSON values. */
export function unique(a: readonly unknown[]): boolean {
  if (a.length < 2) return true;
  const seen = new Set<string>();
  for (const v of a) {
    const k = typeof v === "object" && v !== null ? JSON.stringify(sortKeys(v)) : `${typeof v}:${String(v)}`;
    if (seen.has(k)) return false;
    seen.add(k);
  }
  return true;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
}

/** What a query or header value (a string) may become: flags from the declared type. */
export const COERCE_NUMBER = 1;
export const COERCE_BOOLEAN = 2;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A query/header string as the declared type wants it: a JSON number when the type admits
 * numbers, `true`/`false` when it admits booleans; otherwise the string itself (which the
 * check after it then rejects or accepts).
 */
export function coerce(s: string, flags: number): string | number | boolean {
  if (flags & COERCE_NUMBER && JSON_NUMBER.test(s)) return Number(s);
  if (flags & COERCE_BOOLEAN) {
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return s;
}

/** A body check: `is` is the fast yes/no, `report` lists the failures of a value `is` rejected. */
export interface BodyCheck {
  is(x: unknown): boolean;
  report(x: unknown, path: string, e: SchemaError[]): boolean;
  /** The body type as text, for a body that is not JSON at all. */
  expected: string;
  /** A valid body with its RFC 3339 strings made the Dates its type declares (only types with a Date). */
  revive?(x: unknown): unknown;
}

/** Query or headers: values looked up by name, coerced and checked; the coerced object back. */
export type PartCheck = (get: (name: string) => string | null, e: SchemaError[]) => Record<string, unknown>;

/** What a route with a request schema checks (generated in validators.js as `route<id>`). */
export interface RouteCheck {
  body?: BodyCheck;
  /** A form body (form-check.ts): the route's handler reads `form()` or `formData()`. */
  form?: FormCheck;
  query?: PartCheck;
  headers?: PartCheck;
}

/** The request members a check reads and sets (runtime/request.ts implements them). */
export interface CheckedRequest {
  readonly searchParams: URLSearchParams;
  readonly headers: { get(name: string): string | null };
  [BODY_TEXT](): string | undefined;
  [VALIDATED](body: unknown, query: Record<string, unknown> | undefined, headers: Record<string, unknown> | undefined): void;
}

const NO_BODY = Symbol("no body");
/** The head of a 400 problem document (form-check.ts sends one too). */
export const PROBLEM_HEAD = "Content-Type: application/problem+json\r\n";

/** Runs a route's check; undefined when the request may go on, else the 400 to send. */
export function checkRequest(req: CheckedRequest, check: RouteCheck): Encoded | undefined {
  const e: SchemaError[] = [];
  let query: Record<string, unknown> | undefined;
  let headers: Record<string, unknown> | undefined;
  let body: unknown = NO_BODY;
  if (check.query !== undefined) {
    const sp = req.searchParams;
    query = check.query((k) => sp.get(k), e);
  }
  if (check.headers !== undefined) {
    const h = req.headers;
    headers = check.headers((k) => h.get(k), e);
  }
  if (check.body !== undefined) {
    const text = req[BODY_TEXT]();
    if (text === undefined || text.length === 0) miss(e, "$", check.body.expected, "a JSON body is required");
    else {
      try {
        body = JSON.parse(text);
      } catch {
        miss(e, "$", check.body.expected, "the body is not valid JSON");
      }
      if (body !== NO_BODY && !check.body.is(body)) {
        const before = e.length;
        check.body.report(body, "$", e);
        // `is` and `report` come from one schema; should they ever disagree, reject anyway.
        if (e.length === before) miss(e, "$", check.body.expected, "does not match the body type");
      }
    }
  }
  if (e.length === 0) {
    if (body !== NO_BODY && check.body?.revive) body = check.body.revive(body);
    req[VALIDATED](body === NO_BODY ? undefined : body, query, headers);
    return undefined;
  }
  return { status: 400, head: PROBLEM_HEAD, body: problemBody(e) };
}

/** The RFC 9457 problem document of a 400 (also described in openapi.json). */
export function problemBody(errors: SchemaError[]): string {
  return JSON.stringify({
    type: "about:blank",
    title: "Bad Request",
    status: 400,
    detail: `The request does not match the route's schema (${errors.length} ${errors.length === 1 ? "error" : "errors"}${errors.length === MAX_ERRORS ? " or more" : ""}).`,
    errors,
  });
}
