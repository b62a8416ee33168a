/**
 * The typed client: `.catzilla/client.ts`, and the same as `client.js` + `client.d.ts`. One
 * fetch-based function per route, written out with its types (path params, query, headers
 * and body in; the result type out), so an editor reads plain declarations instead of
 * inferring them from the app's types (what makes inferred clients slow at a thousand routes).
 * Types are plain JSON types: constraint tags are the server's business, and a client
 * should not need catzilla installed.
 */
import { ts as ts_ } from "ts-morph";
import { HEADER } from "../shared/generated.js";
import type { Plan, PlannedRoute } from "../types.js";
import type { Def, Schema } from "./ir.js";
import type { DefNames } from "./validator.js";

export const CLIENT_FILES = { ts: "client.ts", js: "client.js", dts: "client.d.ts" } as const;

export interface ClientSources {
  ts: string;
  js: string;
  dts: string;
}

/** The runtime part, identical in every client (typed variant; `strip` removes the types). */
const RUNTIME_TS = `export interface ClientOptions {
  /** Where the app is served, e.g. "http://127.0.0.1:8000". */
  baseUrl: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

/** A response other than 2xx: its status and parsed body (a 400's problem document). */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(\`HTTP \${status}\`);
    this.status = status;
    this.body = body;
  }
}

/** One call's parts (interfaces, so plain \`object\`: they have no index signature). */
interface Call {
  params?: object;
  query?: object;
  headers?: object;
  body?: unknown;
}

function entries(o: object | undefined): [string, unknown][] {
  return Object.entries(o ?? {});
}

/** A form route's body as FormData: a list field appended once per item, a Date as RFC 3339. */
function formBody(body: object): FormData {
  const fd = new FormData();
  const put = (k: string, v: unknown) => {
    if (v instanceof Blob) fd.append(k, v);
    else fd.append(k, v instanceof Date ? v.toISOString() : String(v));
  };
  for (const [k, v] of entries(body)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) put(k, item);
    else put(k, v);
  }
  return fd;
}

function request(options: ClientOptions, method: string, path: string, call: Call, form = false): Promise<unknown> {
  let url = options.baseUrl.replace(/\\/$/, "") + path.replace(/\\{(\\w+)\\}/g, (_, k: string) => encodeURIComponent(String((call.params as Record<string, unknown>)[k])));
  const q = new URLSearchParams();
  for (const [k, v] of entries(call.query)) if (v !== undefined) q.append(k, String(v));
  const qs = q.toString();
  if (qs.length > 0) url += "?" + qs;
  const headers: Record<string, string> = { ...options.headers };
  for (const [k, v] of entries(call.headers)) if (v !== undefined) headers[k] = String(v);
  let body: string | FormData | undefined;
  // fetch writes a FormData as multipart/form-data, boundary and all.
  if (call.body !== undefined && form) body = formBody(call.body as object);
  else if (call.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.body);
  }
  return (options.fetch ?? fetch)(url, { method, headers, body }).then(async (res) => {
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "";
    const value = text.length > 0 && type.includes("json") ? JSON.parse(text) : text.length > 0 ? text : undefined;
    if (!res.ok) throw new ApiError(res.status, value);
    return value;
  });
}
`;

export function emitClient(plan: Plan, defs: Def[], names: DefNames): ClientSources {
  const types = new TypeWriter(names, new Map(defs.map((d) => [d.id, d.schema])));
  const decls = defs.map((d) => {
    const doc = d.description ? `/** ${oneLine(d.description)} */\n` : "";
    const s = d.schema;
    return s.kind === "object" && !s.additional
      ? `${doc}export interface ${names.get(d.id)} ${types.object(s)}`
      : `${doc}export type ${names.get(d.id)} = ${types.type(s)};`;
  });
  const fns = plan.routes
    // notFound handlers and the compiler's CORS preflight routes are not endpoints a client calls.
    .filter((r) => !r.notFound && r.preflightOf === null)
    .filter((r) => !(r.method === "HEAD" && plan.routes.some((o) => o.path === r.path && o.method === "GET")));
  const used = new Set<string>();
  const methods = fns.map((r) => {
    let name = functionName(r);
    for (let n = 2; used.has(name); n++) name = `${functionName(r)}${n}`;
    used.add(name);
    return { r, name, ...argsType(r, types), result: resultType(r, types) };
  });
  const path = (r: PlannedRoute) => r.segments.map((s) => "/" + (s.type === "static" ? s.text : s.type === "param" ? `{${s.name}}` : "{wildcard}")).join("") || "/";
  const fnTs = methods.map(({ r, name, args, optional, result }) => {
    return [
      `    /** ${r.method} ${r.path} */`,
      `    ${name}: (call: ${args}${optional ? " = {}" : ""}): Promise<${result}> =>`,
      `      request(options, ${JSON.stringify(r.method)}, ${JSON.stringify(path(r))}, call${r.schema?.form ? ", true" : ""}) as Promise<${result}>,`,
    ].join("\n");
  });
  const fnDts = methods.map(
    ({ r, name, args, optional, result }) => `  /** ${r.method} ${r.path} */\n  ${name}(call${optional ? "?" : ""}: ${args}): Promise<${result}>;`,
  );
  const head = `// ${HEADER}\n// A typed client of the app: const api = createClient({ baseUrl: "http://127.0.0.1:8000" }).\n`;
  const ts = [
    head,
    ...decls.map((d) => d + "\n"),
    RUNTIME_TS,
    "export function createClient(options: ClientOptions) {",
    "  return {",
    ...fnTs,
    "  };",
    "}",
    "",
    "export type Client = ReturnType<typeof createClient>;",
    "",
  ].join("\n");
  // The JavaScript is the TypeScript with its types removed, by TypeScript itself.
  const js = ts_.transpileModule(ts, {
    compilerOptions: { target: ts_.ScriptTarget.ES2022, module: ts_.ModuleKind.ESNext, removeComments: false },
  }).outputText;
  const dts = [
    head,
    ...decls.map((d) => d + "\n"),
    "export interface ClientOptions {\n  baseUrl: string;\n  headers?: Record<string, string>;\n  fetch?: typeof fetch;\n}\n",
    "export declare class ApiError extends Error {\n  readonly status: number;\n  readonly body: unknown;\n  constructor(status: number, body: unknown);\n}\n",
    "export interface Client {",
    ...fnDts,
    "}",
    "",
    "export declare function createClient(options: ClientOptions): Client;",
    "",
  ].join("\n");
  return { ts, js, dts };
}

/** `getUsersId` for GET /users/:id(int). */
function functionName(r: PlannedRoute): string {
  const words = [r.method.toLowerCase(), ...r.segments.map((s) => (s.type === "static" ? s.text : s.type === "param" ? s.name : "wildcard"))]
    .flatMap((w) => w.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join("");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The call's argument type, and whether it may be left out (nothing in it is required). */
function argsType(r: PlannedRoute, types: TypeWriter): { args: string; optional: boolean } {
  const parts: string[] = [];
  const params = r.segments.flatMap((s) => {
    if (s.type === "wildcard") return ["wildcard: string"];
    if (s.type !== "param") return [];
    const t = s.ptype;
    const type = t.type === "int" || t.type === "number" ? "number" : t.type === "enum" ? t.values.map((v) => JSON.stringify(v)).join(" | ") : "string";
    return [`${key(s.name)}: ${type}`];
  });
  if (params.length) parts.push(`params: { ${params.join("; ")} }`);
  const sch = r.schema;
  let optional = params.length === 0;
  for (const [name, part] of [["query", sch?.query], ["headers", sch?.headers]] as const) {
    if (!part) continue;
    const loose = types.allOptional(part);
    optional &&= loose;
    parts.push(`${name}${loose ? "?" : ""}: ${types.type(part)}`);
  }
  if (sch?.body) {
    parts.push(`body: ${types.type(sch.body)}`);
    optional = false;
  }
  return { args: parts.length ? `{ ${parts.join("; ")} }` : "{}", optional };
}

function resultType(r: PlannedRoute, types: TypeWriter): string {
  if (r.schema?.noContent) return "void";
  const result = r.schema?.response ?? r.schema?.shape;
  if (result) return types.type(result);
  return "unknown";
}

class TypeWriter {
  constructor(
    private readonly names: DefNames,
    private readonly defs: Map<string, Schema>,
  ) {}

  /** True when every member of the object type behind `s` is optional. */
  allOptional(s: Schema): boolean {
    for (let i = 0; i < 32 && s.kind === "ref"; i++) s = this.defs.get(s.id) ?? { kind: "any" };
    return s.kind === "object" && s.props.every((p) => p.optional);
  }

  object(s: Extract<Schema, { kind: "object" }>): string {
    const lines = s.props.map((p) => {
      const doc = p.description ? `  /** ${oneLine(p.description)} */\n` : "";
      return `${doc}  ${key(p.name)}${p.optional ? "?" : ""}: ${this.type(p.schema)};`;
    });
    if (s.additional) lines.push(`  [key: string]: ${this.type(s.additional)};`);
    return lines.length ? `{\n${lines.join("\n")}\n}` : "{}";
  }

  type(s: Schema): string {
    switch (s.kind) {
      case "any":
        return "unknown";
      case "string":
      case "date":
        return "string";
      case "template":
        return s.text;
      case "file":
        return s.blob ? "Blob" : "File";
      case "number":
        return "number";
      case "boolean":
      case "null":
        return s.kind;
      case "literal":
        return JSON.stringify(s.value);
      case "array": {
        const inner = this.type(s.items);
        return /[|& ]/.test(inner) && !inner.startsWith("{") ? `(${inner})[]` : `${inner}[]`;
      }
      case "tuple": {
        const items = s.items.map((it, i) => this.type(it) + (i >= s.required ? "?" : ""));
        if (s.rest) items.push(`...${this.type(s.rest)}[]`);
        return `[${items.join(", ")}]`;
      }
      case "object": {
        const props = s.props.map((p) => `${key(p.name)}${p.optional ? "?" : ""}: ${this.type(p.schema)}`);
        if (s.additional) props.push(`[key: string]: ${this.type(s.additional)}`);
        return props.length ? `{ ${props.join("; ")} }` : "{}";
      }
      case "union":
        return s.variants.map((v) => this.type(v)).join(" | ");
      case "ref":
        return this.names.get(s.id)!;
    }
  }
}

function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").replace(/\*\//g, "* /");
}
