/**
 * The schema files of a plan: `validators.js` when any route declares a request schema.
 * Definitions are merged across routes (one per named type), named once for every file.
 */
import type { Plan, PlannedRoute } from "../types.js";
import type { Def } from "./ir.js";
import { emitClient, type ClientSources } from "./client.js";
import { emitOpenApi, type OpenApiInfo } from "./openapi.js";
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

/** The route's result is serialized by its type (blocking routes encode theirs on the worker). */
export function serializes(r: PlannedRoute): boolean {
  return !!r.schema?.response && (r.kind === "sync" || r.kind === "async" || r.kind === "maybe");
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
    .map((r) => ({ id: r.id, method: r.method, path: r.path, body: r.schema!.body, query: r.schema!.query, headers: r.schema!.headers }));
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
