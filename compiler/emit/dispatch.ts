/**
 * dispatch.js: the route list and `createDispatch(rt, handlers)`, a switch with one case
 * per route, each calling the runtime hook of the route's kind. Consumed by
 * runtime/bind.ts (DispatchModule).
 */
import { paramTypesOf } from "../shared/params.js";
import type { Kind, Plan, PlannedRoute } from "../types.js";
import { checks, SERIALIZERS_FILE, serializes, takesForm, VALIDATORS_FILE } from "../schema/emit.js";
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
      `flags: ${r.flags}, source: ${str(r.source)}${chainFields(r)} },`
    );
  });
  const locals = plan.routes.flatMap((r) =>
    r.kind === "const"
      ? [`  // ${r.id}: ${line(r)}: answered in C from bytes built at compile time`]
      : r.kind === "blocking" && r.chain === null
        ? [`  // ${r.id}: ${line(r)}: runs on the worker pool`]
        : r.chain !== null
          ? composedLocal(r)
          : [`  const h${r.id} = handlers[${r.id}]; // ${line(r)}`],
  );
  const cases = plan.routes.flatMap((r) =>
    r.kind === "const"
      ? []
      : [
          `      case ${r.id}: // ${comment(`${r.method} ${r.path} (${r.kind})`)}`,
          // A declared request schema: an invalid request is answered 400 and the handler never
          // runs. With a chain, the chain checks it after the middleware (composedLocal).
          ...(checks(r) && !takesForm(r) && r.chain === null ? [`        if (!rt.accept(i, req, V.route${r.id})) return;`] : []),
          // A precise result type: serialized by it (only its fields are sent); a chain applies it inside.
          // A blocking route with a chain, or a typed form's: the chain is async and checks inside.
          // A typed form body is parsed, then checked, then the handler runs (analyze forbids blocking).
          takesForm(r) && r.chain === null
            ? `        return rt.form(i, req, V.route${r.id}, h${r.id}${serializes(r) ? `, O.out${r.id}` : ""});`
            : (r.kind === "blocking" || takesForm(r)) && r.chain !== null
            ? `        return rt.async(i, req, h${r.id}(req));`
            : `        ${CALLS[r.kind](`h${r.id}`, r.id, serializes(r) && r.chain === null ? `O.out${r.id}` : null)}`,
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

/**
 * A route with middleware, an onError, or a notFound/preflight route: its handler composed
 * once into its chain (runtime/chain.ts), the chain listed above it.
 */
function composedLocal(r: PlannedRoute): string[] {
  const what = r.notFound
    ? `notFound handler for ${r.path === "/" ? "every path" : `paths under ${r.path}`}`
    : r.preflightOf !== null
      ? `CORS preflight, the chain of route ${r.preflightOf}`
      : `${r.method} ${r.path}`;
  const out = [`  // ${r.id}: ${comment(`${what} — ${r.kind} — ${r.source}`)}`];
  if (r.middleware.length > 0) {
    out.push(`  //   middleware, outer → inner:`);
    for (const m of r.middleware) out.push(`  //     ${comment(`${m.label} (${m.kind}) ${m.source}`)}`);
  }
  if (r.onError !== null) out.push(`  //   errors go to onError at ${comment(r.onError)}`);
  // The route's request check runs innermost, after the middleware; a typed form's is async.
  const check = checks(r) ? `V.route${r.id}` : null;
  if (check !== null) out.push(`  //   the request is checked after the middleware, before the handler`);
  const filter = serializes(r) && r.kind !== "blocking" ? `O.out${r.id}` : check !== null ? "undefined" : null;
  const args = [filter, check].filter((a) => a !== null).map((a) => `, ${a}`).join("");
  const mode = takesForm(r) ? "async" : (r.chain ?? "async");
  // A blocking handler runs on the worker pool (which applies its serializer): the chain awaits it.
  const handler = r.kind === "blocking" ? `rt.onPool(${r.id})` : `handlers[${r.id}]`;
  out.push(`  const h${r.id} = rt.compose(${r.id}, ${str(mode)}, ${handler}${args});`);
  return out;
}

/** The dispatch module's route entry fields for a composed route (none for the others). */
function chainFields(r: PlannedRoute): string {
  if (r.chain === null) return "";
  const parts = [`composed: true`, `middleware: [${r.middleware.map((m) => str(`${m.label} ${m.source}`)).join(", ")}]`];
  if (r.onError !== null) parts.push(`onError: ${str(r.onError)}`);
  if (r.notFound) parts.push("notFound: true");
  if (r.preflightOf !== null) parts.push(`preflight: ${r.preflightOf}`);
  return ", " + parts.join(", ");
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
