/**
 * The schema pass, per route (called from analyze): the request schema a handler declares
 * with `Request<Path, { body?, query?, headers? }>`, read into the IR with its named types.
 * What cannot be represented is CZ1030 at the type's declaration; query and header
 * members that cannot be coerced from a string are CZ1031.
 */
import { ts } from "ts-morph";
import { diagAt, relatedAt } from "../diagnostics.js";
import type { Diagnostic } from "../types.js";
import { Problem, SchemaReader } from "./from-type.js";
import type { Def, RouteSchema, Schema } from "./ir.js";

export type { RouteSchema } from "./ir.js";

/** The request parts a schema may declare, in the order they are checked. */
const PARTS = ["query", "headers", "body"] as const;
type Part = (typeof PARTS)[number];

export function routeSchema(
  handler: ts.Expression,
  label: string,
  checker: ts.TypeChecker,
  program: ts.Program,
): { schema: RouteSchema | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const declared = requestSchemaType(handler, checker);
  if (!declared) return { schema: null, diagnostics };
  const reader = new SchemaReader(checker, program);
  const parts: Record<Part, Schema | null> = { body: null, query: null, headers: null };
  for (const part of PARTS) {
    const prop = checker.getPropertyOfType(declared.type, part);
    if (!prop) continue;
    const t = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, declared.site));
    try {
      const s = reader.read(t, declared.site);
      if (part !== "body") {
        const bad = uncoercible(s, reader.defs);
        if (bad) {
          const member = checker.getPropertyOfType(t, bad)?.valueDeclaration ?? declared.site;
          const what = part === "query" ? "query" : "header";
          diagnostics.push(
            diagAt(
              "CZ1031",
              `The ${part} of ${label} declares '${bad}' as a type a ${what} value (a string) cannot be coerced to: ` +
                "only string, number, boolean and literal types (and unions of them) can be.",
              member,
            ),
          );
          continue;
        }
      }
      parts[part] = s;
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      // A declaration in TypeScript's own lib is no place to send the reader: point at the route.
      const at = err.at && !program.isSourceFileDefaultLibrary(err.at.getSourceFile()) ? err.at : declared.site;
      diagnostics.push(
        diagAt(
          "CZ1030",
          `The ${part} type of ${label} cannot be checked as JSON: '${err.typeName}' is ${err.message}.`,
          at,
          at === declared.site ? [] : [relatedAt(declared.site, `The ${part} type of ${label} is declared here.`)],
        ),
      );
    }
  }
  if (!parts.body && !parts.query && !parts.headers) return { schema: null, diagnostics };
  return { schema: { ...parts, response: null, defs: [...reader.defs.values()] }, diagnostics };
}

/**
 * `S` of the handler's `Request<P, S>` parameter (runtime/types.ts `CzRequest`), when it
 * declares any part; `site` is the parameter (its type annotation when written).
 */
function requestSchemaType(handler: ts.Expression, checker: ts.TypeChecker): { type: ts.Type; site: ts.Node } | null {
  const sig = checker.getSignaturesOfType(checker.getTypeAtLocation(handler), ts.SignatureKind.Call)[0];
  const param = sig?.parameters[0];
  if (!param) return null;
  const decl = param.valueDeclaration;
  const site = decl && ts.isParameter(decl) ? (decl.type ?? decl) : handler;
  const t = checker.getTypeOfSymbolAtLocation(param, handler);
  const sym = t.getSymbol();
  const file = sym?.declarations?.[0]?.getSourceFile().fileName ?? "";
  if (sym?.getName() !== "CzRequest" || !/[\\/]runtime[\\/]types\.(d\.)?ts$/.test(file)) return null;
  if (!(t.flags & ts.TypeFlags.Object) || !((t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference)) return null;
  const s = checker.getTypeArguments(t as ts.TypeReference)[1];
  if (!s || s.flags & ts.TypeFlags.Any || checker.getPropertiesOfType(s).length === 0) return null;
  return { type: s, site };
}

/** The text of a query/header member type that a string cannot be coerced to, or null. */
function uncoercible(s: Schema, defs: Map<string, Def>): string | null {
  const deref = (x: Schema): Schema => {
    for (let i = 0; i < 32 && x.kind === "ref"; i++) x = defs.get(x.id)?.schema ?? { kind: "any" };
    return x;
  };
  const obj = deref(s);
  if (obj.kind !== "object") return "a non-object type";
  if (obj.additional) return "an index signature";
  const scalar = (x: Schema): boolean => {
    const d = deref(x);
    if (d.kind === "union") return d.variants.every(scalar);
    return ["any", "string", "number", "boolean", "literal", "template", "date"].includes(d.kind);
  };
  const bad = obj.props.find((p) => !scalar(p.schema));
  return bad ? `${bad.name}` : null;
}
