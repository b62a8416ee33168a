/**
 * The schema files of a plan: `validators.js` when any route declares a request schema.
 * Definitions are merged across routes (one per named type), named once for every file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { diag, relPosix } from "../diagnostics.js";
import { nearestPackageJson } from "../shared/package.js";
import type { Diagnostic, OutFile, Plan, PlannedRoute } from "../types.js";
import type { Def } from "./ir.js";
import { CLIENT_FILES, emitClient, type ClientSources } from "./client.js";
import { emitOpenApi, OPENAPI_FILE, type OpenApiInfo } from "./openapi.js";
import { emitSerializers, type SerializedRoute } from "./serializer.js";
import { defNames, emitValidators, type CheckedRoute } from "./validator.js";

/** The generated module dispatch.js imports the route checks from. */
export const VALIDATORS_FILE = "validators.js";
/** The generated module dispatch.js imports the result serializers from. */
export const SERIALIZERS_FILE = "serializers.js";

/** The route checks its request before the handler runs. */
export function checks(r: PlannedRoute): boolean {
  return !!r.schema && r.kind !== "const" && !!(r.schema.body || r.schema.query || r.schema.headers);
}

/** The route checks a form body (compiler/schema/form.ts): parsed before it is checked. */
export function takesForm(r: PlannedRoute): boolean {
  return checks(r) && !!r.schema!.form && !!r.schema!.body;
}

/**
 * The route's result is serialized by its type: on the main thread, or for a blocking route
 * on its worker (which imports serializers.js itself; dispatch.js names the file).
 */
export function serializes(r: PlannedRoute): boolean {
  return !!r.schema?.response && r.kind !== "const";
}

/** Every definition the plan's routes use, once each, in a stable order. */
export function planDefs(plan: Plan): Def[] {
  const byId = new Map<string, Def>();
  for (const r of plan.routes) for (const d of r.schema?.defs ?? []) if (!byId.has(d.id)) byId.set(d.id, d);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** validators.js, or null when no route declares a request schema. */
export function emitSchemaValidators(plan: Plan, relFile: (file: string) => string): string | null {
  const routes: CheckedRoute[] = plan.routes
    .filter(checks)
    .map((r) => ({
      id: r.id,
      method: r.method,
      path: r.path,
      body: r.schema!.body,
      query: r.schema!.query,
      headers: r.schema!.headers,
      ...(r.schema!.form ? { form: true } : {}),
    }));
  if (routes.length === 0) return null;
  const defs = filedDefs(plan, relFile);
  return emitValidators(routes, defs, defNames(defs));
}

/** serializers.js, or null when no route's result is serialized by its type. */
export function emitSchemaSerializers(plan: Plan, relFile: (file: string) => string): string | null {
  const routes: SerializedRoute[] = plan.routes
    .filter(serializes)
    .map((r) => ({ id: r.id, method: r.method, path: r.path, response: r.schema!.response! }));
  if (routes.length === 0) return null;
  const defs = filedDefs(plan, relFile);
  return emitSerializers(routes, defs, defNames(defs));
}

function filedDefs(plan: Plan, relFile: (file: string) => string): (Def & { file: string })[] {
  return planDefs(plan).map((d) => ({ ...d, file: relFile(d.id.slice(0, d.id.indexOf("#"))) }));
}

/** openapi.json: every route, whether or not it declares a schema. */
export function emitSchemaOpenApi(plan: Plan, info: OpenApiInfo): string {
  const defs = planDefs(plan);
  return emitOpenApi(plan, defs, defNames(defs), info);
}

/** client.ts, client.js and client.d.ts: one typed function per route. */
export function emitSchemaClient(plan: Plan): ClientSources {
  const defs = planDefs(plan);
  return emitClient(plan, defs, defNames(defs));
}

/**
 * Every schema file of a plan, formatted: validators.js and serializers.js (when any route
 * needs them), openapi.json, client.ts/.js/.d.ts. `format` is emit's prettier (JavaScript).
 */
export async function emitSchemaFiles(
  plan: Plan,
  outDir: string,
  format: (code: string, parser?: "babel" | "typescript") => Promise<string>,
): Promise<OutFile[]> {
  const base = path.dirname(outDir);
  const rel = (f: string) => relPosix(base, f);
  const validators = emitSchemaValidators(plan, rel);
  const serializers = emitSchemaSerializers(plan, rel);
  const client = emitSchemaClient(plan);
  const [validatorsJs, serializersJs, clientJs, clientTs, clientDts] = await Promise.all([
    validators === null ? null : format(validators),
    serializers === null ? null : format(serializers),
    format(client.js),
    format(client.ts, "typescript"),
    format(client.dts, "typescript"),
  ]);
  const out = (name: string, content: string): OutFile => ({ path: path.join(outDir, name), content });
  return [
    ...(validatorsJs === null ? [] : [out(VALIDATORS_FILE, validatorsJs)]),
    ...(serializersJs === null ? [] : [out(SERIALIZERS_FILE, serializersJs)]),
    out(OPENAPI_FILE, emitSchemaOpenApi(plan, appInfo(base))),
    out(CLIENT_FILES.ts, clientTs),
    out(CLIENT_FILES.js, clientJs),
    out(CLIENT_FILES.dts, clientDts),
  ];
}

/**
 * The document's title and version: the app's package.json, the nearest one at or above the
 * out dir's parent (`src/.catzilla`, as `catzilla init` lays a project out, is two levels
 * below it), if any.
 */
function appInfo(base: string): OpenApiInfo {
  const pj = nearestPackageJson(base);
  if (pj === null) return { title: "Catzilla app", version: "0.0.0" };
  try {
    const pkg = JSON.parse(readFileSync(pj, "utf8")) as { name?: unknown; version?: unknown };
    return {
      title: typeof pkg.name === "string" ? pkg.name : "Catzilla app",
      version: typeof pkg.version === "string" ? pkg.version : "0.0.0",
    };
  } catch {
    return { title: "Catzilla app", version: "0.0.0" };
  }
}

/** CZ2030 per route whose JSON result type is too loose to serialize by (no code frame: a note). */
export function fallbackNotes(plan: Plan): Diagnostic[] {
  return plan.routes.flatMap((r) => {
    const why = r.schema?.fallback;
    if (!why) return [];
    const d = diag("CZ2030", `${r.method} ${r.path}: the result is sent with JSON.stringify, not filtered by its type: ${why}.`);
    d.span = r.span;
    return [d];
  });
}
