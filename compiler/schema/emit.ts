/**
 * The schema files of a plan: `validators.js` when any route declares a request schema.
 * Definitions are merged across routes (one per named type), named once for every file.
 */
import type { Plan } from "../types.js";
import type { Def } from "./ir.js";
import { defNames, emitValidators, type CheckedRoute } from "./validator.js";

/** The generated module dispatch.js imports the route checks from. */
export const VALIDATORS_FILE = "validators.js";

/** Every definition the plan's routes use, once each, in a stable order. */
export function planDefs(plan: Plan): Def[] {
  const byId = new Map<string, Def>();
  for (const r of plan.routes) for (const d of r.schema?.defs ?? []) if (!byId.has(d.id)) byId.set(d.id, d);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** validators.js, or null when no route declares a request schema. */
export function emitSchemaValidators(plan: Plan, relFile: (file: string) => string): string | null {
  const routes: CheckedRoute[] = plan.routes
    .filter((r) => r.schema && r.kind !== "const")
    .map((r) => ({ id: r.id, method: r.method, path: r.path, body: r.schema!.body, query: r.schema!.query, headers: r.schema!.headers }));
  if (routes.length === 0) return null;
  const defs = planDefs(plan).map((d) => ({ ...d, id: d.id, file: relFile(d.id.slice(0, d.id.indexOf("#"))) }));
  return emitValidators(routes, defs, defNames(defs));
}
