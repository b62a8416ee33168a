/**
 * Plain data passed between the compiler's passes (`PASSES` in index.ts: discover → analyze →
 * plan → link → emit → cc).
 * Everything here is serialisable except the `ts.Node` handles that discover hands to
 * analyze (the type checker needs them); nothing after analyze holds a node.
 */
import type { ts } from "ts-morph";
import type { RouteSchema } from "./schema/ir.js";

/** Handler kinds, in the order of `enum cz_kind` in catzilla_routes.h. */
export const KINDS = ["sync", "async", "maybe", "const", "blocking"] as const;
export type Kind = (typeof KINDS)[number];

/** Request parts a handler reads (enum cz_route_flags). */
export const FLAG_HEADERS = 1;
export const FLAG_QUERY = 2;
export const FLAG_BODY = 4;
/** The body is read as it arrives (req.stream(), req.formData()): CZ_ROUTE_STREAM. */
export const FLAG_STREAM = 8;
/** What a handler the compiler cannot see through may read: a buffered body, not a stream. */
export const FLAG_ALL = FLAG_HEADERS | FLAG_QUERY | FLAG_BODY;

/** A position in a source file: absolute path, 1-based line and column, 0-based offsets. */
export interface Span {
  file: string;
  line: number;
  col: number;
  start: number;
  length: number;
}

/** A note informs (CompileResult.notes); it is neither a warning nor an error. */
export type Severity = "error" | "warning" | "note";

export interface RelatedInfo {
  span: Span;
  message: string;
  frame: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Absent only for diagnostics with no source position (rare: e.g. an unreadable entry). */
  span?: Span;
  /** Pre-rendered code frame (source line(s) + caret line), no file name. */
  frame?: string;
  related?: RelatedInfo[];
}

/** discover → analyze: one `app.get(...)`-style call, arguments already read when static. */
export interface Registration {
  /** Upper-case method, or null when it was not static or not valid (a diagnostic was reported). */
  method: string | null;
  /** The path when static and valid, else null (a diagnostic was reported). */
  path: string | null;
  segments: Segment[];
  params: string[];
  call: Span;
  methodSpan: Span;
  pathSpan: Span;
  handlerSpan: Span;
  handler: ts.Expression;
  /** The route options say `{ blocking: true }`. */
  blocking: boolean;
  /** The route option `paramMismatch`: what a typed param that does not fit answers. */
  paramMismatch: 400 | 404;
  /** The route option `maxBodyBytes`, or 0 (the server's). */
  bodyLimit: number;
  /** The routers the route passed through on the way to the app, outer → inner (prefixes.ts). */
  scopes: ts.Node[];
  /** The route option `use`: its own middleware. */
  use: MiddlewareRef[];
  /** Its whole chain, outer → inner (middleware.ts; filled in after every `use` is seen). */
  middleware: MiddlewareRef[];
  /** The innermost onError of its scopes, or null. */
  onError: MiddlewareRef | null;
  /** A `notFound(handler)` registration: method "*", path its registrar's prefix. */
  notFound?: boolean;
}

/** A middleware (or onError handler) expression, as discover found it. */
export interface MiddlewareRef {
  expr: ts.Expression;
  span: Span;
  /** How listings name it: `auth`, `cors(…)`, `(inline)`. */
  label: string;
  /** A call of catzilla's cors(): sync, reads the headers, and needs preflight routes. */
  cors: boolean;
}

/** A link of a route's chain after analysis: what routes.json and the CLI list. */
export interface ChainLink {
  label: string;
  /** Absolute location (plan makes it relative). */
  span: Span;
  kind: "sync" | "async" | "maybe";
  cors: boolean;
}

/** analyze → plan (method/path null: not static or invalid, already reported). */
export interface AnalyzedRoute {
  method: string | null;
  path: string | null;
  segments: Segment[];
  params: string[];
  kind: Kind;
  /** Why this kind (for warnings, --explain style output and tests). */
  reason: string;
  /** The handler's type as the checker prints it. */
  type: string;
  flags: number;
  /** Kind "const" only: the complete response bytes (see constroute.ts), else null. */
  response: Buffer | null;
  paramMismatch: 400 | 404;
  /** The route option `maxBodyBytes`, or 0 (the server's). */
  bodyLimit: number;
  /** What the handler's `Request<P, S>` declares (compiler/schema/), or null. */
  schema: RouteSchema | null;
  call: Span;
  pathSpan: Span;
  handlerSpan: Span;
  /** Its middleware, outer → inner (empty: none). */
  middleware: ChainLink[];
  /** Its onError handler, or null. */
  onError: ChainLink | null;
  /** A notFound handler (method "*", path its prefix). */
  notFound: boolean;
  /** A CORS preflight route the compiler added, for the route it runs the chain of. */
  preflightOf: AnalyzedRoute | null;
  /** How dispatch composes it ("sync": handler and every middleware sync), or null: no chain. */
  chain: "sync" | "async" | null;
}

/**
 * A path parameter's type, from the pattern (`:id(int)`, `:n(number)`, `:kind(a|b)`); checked
 * by the generated match() on the raw segment, so a mismatch does not match the route
 * (404, or 400 for routes with the option `paramMismatch: 400`).
 */
export type ParamType =
  | { type: "string" }
  | { type: "int" }
  | { type: "number" }
  | { type: "enum"; values: string[] };

export type Segment =
  | { type: "static"; text: string }
  | { type: "param"; name: string; ptype: ParamType }
  | { type: "wildcard" };

/** plan → emit: the final route, id = index in every generated table. */
export interface PlannedRoute {
  id: number;
  method: string;
  /** llhttp_method_t number. */
  methodNum: number;
  path: string;
  segments: Segment[];
  params: string[];
  kind: Kind;
  flags: number;
  /** Kind "const" only: the complete response bytes, else null. */
  response: Buffer | null;
  /**
   * `paramMismatch: 400` only: per param, the JSON body of the 400 a value that fails its
   * type gets (null for untyped params); else null (a mismatch is a 404).
   */
  paramErrors: (string | null)[] | null;
  /** The request schema (validated before the handler runs), or null. */
  schema: RouteSchema | null;
  /** routes.c's body_limit: the route option `maxBodyBytes`, or 0 (the server's). */
  bodyLimit: number;
  /** "app.ts:4:21": handler location relative to the out dir's parent, POSIX separators. */
  source: string;
  /** Absolute location of the handler expression. */
  span: Span;
  reason: string;
  type: string;
  /** Its middleware, outer → inner, with locations relative like `source`. */
  middleware: { label: string; source: string; kind: ChainLink["kind"] }[];
  /** Where its onError handler is (relative like `source`), or null. */
  onError: string | null;
  /** A notFound handler: C dispatches requests no route matches under `path` to it. */
  notFound: boolean;
  /** A CORS preflight route the compiler added: the id of the route whose chain it runs. */
  preflightOf: number | null;
  /** How the dispatch module composes it ("sync": every link sync), or null: called as it is. */
  chain: "sync" | "async" | null;
}

export interface TrieNode {
  /** Preorder index: the node's row in routes.c's nodes[] table. */
  id: number;
  /** "/users/:id" style label of the prefix this node stands for (for comments). */
  label: string;
  /** Number of params captured on the way to this node. */
  nparams: number;
  statics: { text: string; node: TrieNode }[];
  /** `:param` children, one per parameter type, in the order match() tries them (most specific first). */
  params: { ptype: ParamType; node: TrieNode }[];
  /** Routes ending exactly here: method number → route id (sorted by method). */
  terminal: { method: number; route: number }[];
  /** Routes `<prefix>/*` ending here. */
  wildcard: { method: number; route: number }[];
}

export interface Plan {
  routes: PlannedRoute[];
  trie: TrieNode;
  fingerprint: string;
  /** The app's static mounts (`app.static`), when it has any: routes.json lists them. */
  statics?: StaticRecord[];
}

/**
 * discover → routes.json and the CLI: one `static(prefix, dir, options?)` call, per prefix it
 * is served at. C serves the files (docs/static.md); the server takes the mounts from the
 * registrations at run time, so a value the compiler cannot know is recorded as null.
 */
export interface StaticRecord {
  /** The full prefix (a group's joined), or null when not known at compile time. */
  prefix: string | null;
  /** The directory as written (relative to the working directory at run time), or null. */
  dir: string | null;
  /** The options as written, when known at compile time (else null). */
  options: Record<string, unknown> | null;
  /** Relative to the out dir's parent, as a route's handler in routes.json. */
  source: string;
  span: Span;
}

/** A generated file, content in memory until every pass has succeeded. */
export interface OutFile {
  path: string;
  content: string | Buffer;
}

export interface CompileOptions {
  /** Entry modules (.ts). Relative paths are resolved against `cwd`. */
  entries: string[];
  /** Output directory, e.g. ".catzilla". */
  outDir: string;
  /**
   * The tsconfig; when absent, the one whose files include the entries, looked for from the
   * first entry's directory up (layout.ts `findTsconfig`); `false`: none, the defaults.
   */
  tsconfig?: string | false;
  cwd?: string;
  /** Write files (default true). With false, compile() only reports. */
  write?: boolean;
  /** Compile routes.c with cc (default true). */
  cc?: boolean;
  /** Turn handlers that return a compile-time value into const routes (default true). */
  constRoutes?: boolean;
}

export interface RouteSummary {
  id: number;
  method: string;
  path: string;
  kind: Kind;
  params: string[];
  flags: number;
  /** Relative to the out dir's parent, as in routes.json. */
  source: string;
  /** Absolute file, line, column of the handler. */
  span: Span;
  reason: string;
  type: string;
  /** Its middleware, outer → inner ("label file:line:col"); empty or absent: none. */
  middleware?: string[];
}

export interface CompileResult {
  ok: boolean;
  routes: RouteSummary[];
  diagnostics: Diagnostic[];
  fingerprint: string | null;
  /** Milliseconds per pass and in total. */
  timings: Record<string, number>;
  /** Absolute paths of every generated file (empty on error). */
  files: string[];
  /** The subset whose content changed and was written (empty with write: false). */
  filesWritten: string[];
  /** True when routes.so was up to date and cc was not run. */
  ccSkipped: boolean;
  /** Informational notes (severity "note"), e.g. CZ2030 for results sent with JSON.stringify. */
  notes: Diagnostic[];
  /** The static mounts found (`app.static`), in source order; absent when none. */
  statics?: StaticRecord[];
  /** The tsconfig the program was built from (given or found); absent: the defaults. */
  tsconfig?: string;
  /**
   * Where the generated files that run (server.js, dispatch.js, routes.so…) are: `outDir`,
   * or its mirror under a tsconfig `outDir` (layout.ts `runtimeDir`). Absent when the
   * program could not be loaded.
   */
  runDir?: string;
}
