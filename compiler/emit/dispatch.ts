/**
 * dispatch.js: the route list and `createDispatch(rt, handlers)`, a switch with one case
 * per route, each calling the runtime hook of the route's kind. Consumed by
 * runtime/bind.ts (DispatchModule).
 */
import { paramTypesOf } from "../shared/params.js";
import type { Kind, Plan, PlannedRoute } from "../types.js";
import { checks, SERIALIZERS_FILE, serializes, VALIDATORS_FILE } from "../schema/emit.js";
import { HEADER } from "../shared/generated.js";

/** The statement each kind's case runs; `h` is the handler's local name, `id` the route id. */
const CALLS: Record<Kind, (h: string, id: number, out: string | null) => string> = {
  sync: (h, _id, out) => `return rt.sync(i, req, ${h}(req)${out ? `, ${out}` : ""});`,
  async: (h, _id, out) => `return rt.async(i, req, ${h}(req)${out ? `, ${out}` : ""});`,
  maybe: (h, _id, out) => `return rt.maybe(i, req, ${h}(req)${out ? `, ${out}` : ""});`,
  // A const route is answered in C and never reaches dispatch: it has no case.
  const: () => "",
  // Runs on the worker pool (runtime/blocking.ts), which binds the handler by (method, path) itself.
  blocking: (_h, id) => `return rt.blocking(i, req, ${id});`,
};

export function emitDispatch(plan: Plan): string {
  const routeList = plan.routes.map((r) => {
    const paramTypes = paramTypesOf(r.segments).map((t) => str(t.type));
    return (
      `  { id: ${r.id}, method: ${str(r.method)}, path: ${str(r.path)}, kind: ${str(r.kind)}, ` +
      `params: [${r.params.map(str).join(", ")}], paramTypes: [${paramTypes.join(", ")}], ` +
      `flags: ${r.flags}, source: ${str(r.source)} },`
    );
  });
  const locals = plan.routes.map((r) =>
    r.kind === "const"
      ? `  // ${r.id}: ${line(r)}: answered in C from bytes built at compile time`
      : r.kind === "blocking"
        ? `  // ${r.id}: ${line(r)}: runs on the worker pool`
        : `  const h${r.id} = handlers[${r.id}]; // ${line(r)}`,
  );
  const cases = plan.routes.flatMap((r) =>
    r.kind === "const"
      ? []
      : [
          `      case ${r.id}: // ${comment(`${r.method} ${r.path} (${r.kind})`)}`,
          // A declared request schema: an invalid request is answered 400 and the handler never runs.
          ...(checks(r) ? [`        if (!rt.accept(i, req, V.route${r.id})) return;`] : []),
          // A precise result type: serialized by it (only its fields are sent).
          `        ${CALLS[r.kind](`h${r.id}`, r.id, serializes(r) ? `O.out${r.id}` : null)}`,
        ],
  );
  const checked = plan.routes.some((r) => checks(r));
  const serialized = plan.routes.some((r) => serializes(r) && r.kind !== "blocking");
  const imports = [
    ...(checked ? [`import * as V from "./${VALIDATORS_FILE}";`] : []),
    ...(serialized ? [`import * as O from "./${SERIALIZERS_FILE}";`] : []),
  ];
  // A blocking route's worker serializes its result: it imports serializers.js from here.
  const blockingOut = plan.routes.some((r) => serializes(r) && r.kind === "blocking")
    ? ["", `export const blockingSerializers = new URL("./${SERIALIZERS_FILE}", import.meta.url).href;`]
    : [];
  return [
    `// ${HEADER}`,
    ...(imports.length ? [...imports, ""] : []),
    `export const fingerprint = ${str(plan.fingerprint)};`,
    ...blockingOut,
    "",
    "export const routes = [",
    ...routeList,
    "];",
    "",
    "export function createDispatch(rt, handlers) {",
    ...locals,
    "  return function dispatch(route, req, i) {",
    "    switch (route) {",
    ...cases,
    "      default:",
    "        return rt.unknown(i, req, route);",
    "    }",
    "  };",
    "}",
    "",
  ].join("\n");
}

function line(r: PlannedRoute): string {
  return comment(`${r.method} ${r.path} — ${r.kind} — ${r.source}`);
}

function comment(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, "?");
}

function str(s: string): string {
  return JSON.stringify(s);
}
