/**
 * Typed form bodies: a route whose `Request<P, { body: T }>` handler reads `req.form()` or
 * `req.formData()` takes T as a form (docs/validation.md, "Form bodies"). Its check parses
 * the body (runtime/form.ts, with its limits: a 413 comes before any validation), then runs
 * the generated `form_<T>` of validators.js, which reads each declared field through the
 * helpers below, coerces it as a query value is, and checks it. Invalid input is answered
 * 400 problem+json, as a JSON body is, and the handler never runs.
 *
 * Field rules, one place: a scalar field is given at most once; a list field (`string[]`)
 * takes every `name` and `name[]` field, and is [] when there is none; a `File`/`Blob`
 * field is a file part; an empty text field is absent when the type takes no string (an
 * empty `<input type="number">`), and an empty file part (a file input left empty) is
 * absent. Fields the type does not declare are ignored.
 */
import { miss, problemBody, PROBLEM_HEAD, type RouteCheck, type SchemaError } from "./validate.js";
import { VALIDATED } from "./request.js";
import type { Encoded } from "./writer.js";

/** validators.js `form_<T>`: the fields of a parsed form → the typed, coerced object. */
export type FormCheck = (fd: FormData, e: SchemaError[]) => Record<string, unknown>;

/** The request members a form check reads and sets (runtime/request.ts implements them). */
export interface FormRequest {
  readonly searchParams: URLSearchParams;
  readonly headers: { get(name: string): string | null };
  formData(): Promise<FormData>;
  [VALIDATED](body: unknown, query: Record<string, unknown> | undefined, headers: Record<string, unknown> | undefined): void;
}

/** Whether a route's check takes a form body (its route reads `form()` or `formData()`). */
export function isFormCheck(check: RouteCheck): check is RouteCheck & { form: FormCheck } {
  return check.form !== undefined;
}

/**
 * A form route's check: undefined when the handler may run, else the 400 to send. Query and
 * headers are read at once (while the request's bytes are the batch's), the body when parsed;
 * every failure of the three is listed together. Parsing errors (413, 400, 415) reject.
 */
export async function checkForm(req: FormRequest, check: RouteCheck & { form: FormCheck }): Promise<Encoded | undefined> {
  const e: SchemaError[] = [];
  let query: Record<string, unknown> | undefined;
  let headers: Record<string, unknown> | undefined;
  if (check.query !== undefined) {
    const sp = req.searchParams;
    query = check.query((k) => sp.get(k), e);
  }
  if (check.headers !== undefined) {
    const h = req.headers;
    headers = check.headers((k) => h.get(k), e);
  }
  const fd = await req.formData();
  const body = check.form(fd, e);
  if (e.length > 0) return { status: 400, head: PROBLEM_HEAD, body: problemBody(e) };
  req[VALIDATED](body, query, headers);
  return undefined;
}

const NOT_TEXT = "must be a text field, not a file";
const NOT_FILE = "must be a file";

/**
 * A scalar field's text; null when it is absent (or, with `blankIsAbsent`, empty); undefined
 * when it failed (given twice, or a file), which is then recorded in `e`.
 */
export function field(
  fd: FormData,
  name: string,
  path: string,
  expected: string,
  e: SchemaError[],
  blankIsAbsent: boolean,
): string | null | undefined {
  const all = fd.getAll(name);
  if (all.length === 0) return null;
  if (all.length > 1) {
    miss(e, path, expected, `must be given once (it was given ${all.length} times)`);
    return undefined;
  }
  const v = all[0];
  if (typeof v !== "string") {
    miss(e, path, expected, NOT_TEXT);
    return undefined;
  }
  return blankIsAbsent && v === "" ? null : v;
}

/** A list field's texts (`name` and `name[]`, in order), or undefined when one was a file. */
export function fields(fd: FormData, name: string, path: string, expected: string, e: SchemaError[]): string[] | undefined {
  const all = [...fd.getAll(name), ...fd.getAll(`${name}[]`)];
  let ok = true;
  for (let i = 0; i < all.length; i++) if (typeof all[i] !== "string") ok = miss(e, `${path}[${i}]`, expected, NOT_TEXT);
  return ok ? (all as string[]) : undefined;
}

/** A file field: the File, null when absent, undefined when it failed (given twice, or text). */
export function file(fd: FormData, name: string, path: string, expected: string, e: SchemaError[]): File | null | undefined {
  const all = fd.getAll(name).filter(notEmptyInput);
  if (all.length === 0) return null;
  if (all.length > 1) {
    miss(e, path, expected, `must be given once (it was given ${all.length} times)`);
    return undefined;
  }
  const v = all[0];
  if (typeof v === "string") {
    miss(e, path, expected, NOT_FILE);
    return undefined;
  }
  return v;
}

/** A list of files (`name` and `name[]`), or undefined when one was text. */
export function files(fd: FormData, name: string, path: string, expected: string, e: SchemaError[]): File[] | undefined {
  const all = [...fd.getAll(name), ...fd.getAll(`${name}[]`)].filter(notEmptyInput);
  let ok = true;
  for (let i = 0; i < all.length; i++) if (typeof all[i] === "string") ok = miss(e, `${path}[${i}]`, expected, NOT_FILE);
  return ok ? (all as File[]) : undefined;
}

/**
 * A file input left empty: browsers send a part with an empty filename and no bytes, which
 * the parser may also hand over as an empty text field.
 */
function notEmptyInput(v: FormDataEntryValue): boolean {
  return typeof v === "string" ? v !== "" : v.name !== "" || v.size > 0;
}
