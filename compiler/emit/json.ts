/** routes.json: every route with its kind and handler location (2-space JSON, trailing newline). */
import { paramTypesOf } from "../shared/params.js";
import type { Plan } from "../types.js";

export const ROUTES_JSON_VERSION = 1;

export function emitRoutesJson(plan: Plan): string {
  const doc = {
    version: ROUTES_JSON_VERSION,
    fingerprint: plan.fingerprint,
    routes: plan.routes.map((r) => ({
      id: r.id,
      method: r.method,
      path: r.path,
      kind: r.kind,
      params: r.params,
      paramTypes: paramTypesOf(r.segments).map((t) =>
        t.type === "enum" ? { type: t.type, values: t.values } : { type: t.type },
      ),
      flags: r.flags,
      ...(r.paramErrors ? { paramMismatch: 400 } : {}),
      ...(r.bodyLimit ? { maxBodyBytes: r.bodyLimit } : {}),
      handler: r.source,
      // A body schema read as a form (compiler/schema/form.ts): the route takes form bodies only.
      ...(r.schema?.form && r.schema.body ? { body: "form" } : {}),
      // Only routes with a chain carry these, so other routes' entries are as before.
      ...(r.middleware.length > 0 ? { middleware: r.middleware } : {}),
      ...(r.onError !== null ? { onError: r.onError } : {}),
      ...(r.notFound ? { notFound: true } : {}),
      ...(r.preflightOf !== null ? { preflightOf: r.preflightOf } : {}),
    })),
    // Only when the app mounts a directory: other apps' routes.json stays as it was.
    ...(plan.statics && plan.statics.length > 0
      ? {
          statics: plan.statics.map((s) => ({
            prefix: s.prefix,
            dir: s.dir,
            options: s.options,
            source: s.source,
          })),
        }
      : {}),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
