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
import { formProblem } from "./form.js";
import type { Def, RouteSchema, Schema } from "./ir.js";
import { isResponseType, isStreamType } from "../shared/streams.js";
import { resolveFunction } from "../usage.js";

export type { RouteSchema } from "./ir.js";

/** The request parts a schema may declare, in the order they are checked. */
const PARTS = ["query", "headers", "body"] as const;
type Part = (typeof PARTS)[number];

/**
 * `form`: the handler reads its body with `req.form()` or `req.formData()` (compiler/usage.ts),
 * so a declared body is a form (compiler/schema/form.ts): each property a field, File and
 * Blob allowed, and what a field cannot hold is CZ1032.
 */
export function routeSchema(
  handler: ts.Expression,
  label: string,
  checker: ts.TypeChecker,
  program: ts.Program,
  form = false,
): { schema: RouteSchema | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const declared = requestSchemaType(handler, checker);
  const reader = new SchemaReader(checker, program, form);
  const parts: Record<Part, Schema | null> = { body: null, query: null, headers: null };
  for (const part of declared ? PARTS : []) {
    if (!declared) break;
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
      if (part === "body" && form) {
        const bad = formProblem(s, reader.defs);
        if (bad) {
          const member = bad.prop === null ? undefined : checker.getPropertyOfType(t, bad.prop)?.valueDeclaration;
          const at = member && !program.isSourceFileDefaultLibrary(member.getSourceFile()) ? member : declared.site;
          diagnostics.push(
            diagAt(
              "CZ1032",
              `The body of ${label} is read as a form (the handler calls form() or formData()), but ` +
                (bad.prop === null ? `its type ${bad.why}.` : `its field '${bad.prop}' is ${bad.why}.`) +
                " A form field holds a string, number, boolean, literal, Date or File (or an array of them).",
              at,
              at === declared.site ? [] : [relatedAt(declared.site, `The body type of ${label} is declared here.`)],
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
          `The ${part} type of ${label} cannot be checked as ${part === "body" && form ? "a form" : "JSON"}: '${err.typeName}' is ${err.message}.`,
          at,
          at === declared.site ? [] : [relatedAt(declared.site, `The ${part} type of ${label} is declared here.`)],
        ),
      );
    }
  }
  const result = resultSchema(handler, checker, reader);
  const description = routeDoc(handler, checker);
  if (!parts.body && !parts.query && !parts.headers && !result.response && !result.shape && !result.fallback && !result.noContent && !description) {
    return { schema: null, diagnostics };
  }
  const schema: RouteSchema = { ...parts, ...result, defs: [...reader.defs.values()] };
  if (form && parts.body) schema.form = true;
  if (description) schema.description = description;
  return { schema, diagnostics };
}

/** The route's description: JSDoc on the registering statement, else on the named handler. */
function routeDoc(handler: ts.Expression, checker: ts.TypeChecker): string | undefined {
  let n: ts.Node | undefined = handler.parent;
  while (n && !ts.isExpressionStatement(n) && !ts.isSourceFile(n)) n = n.parent;
  const onStatement = n && ts.isExpressionStatement(n)
    ? ts.getJSDocCommentsAndTags(n).filter(ts.isJSDoc).map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join("\n").trim()
    : "";
  if (onStatement) return onStatement;
  const sym = ts.isIdentifier(handler) ? checker.getSymbolAtLocation(handler) : undefined;
  const target = sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  const text = target ? ts.displayPartsToString(target.getDocumentationComment(checker)).trim() : "";
  return text || undefined;
}

/**
 * The schema a handler's result is serialized by: its return type through `Promise`, when
 * that is JSON objects or arrays (with null). Text, bytes, CzResponse, undefined and any are
 * not serialized here (encodeResult handles them); an imprecise JSON type falls back.
 */
function resultSchema(
  handler: ts.Expression,
  checker: ts.TypeChecker,
  reader: SchemaReader,
): { response: Schema | null; shape?: Schema; fallback: string | null; noContent: boolean } {
  const none = { response: null, fallback: null, noContent: false };
  const sigs = checker.getSignaturesOfType(checker.getTypeAtLocation(handler), ts.SignatureKind.Call);
  if (sigs.length !== 1) return none;
  const ret = sigs[0].getReturnType();
  const awaited = checker.getAwaitedType(ret) ?? ret;
  const members = awaited.isUnion() ? awaited.types : [awaited];
  if (members.every((m) => m.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined))) return { ...none, noContent: true };
  const objects = members.filter((m) => !(m.flags & ts.TypeFlags.Null));
  if (objects.length === 0) return none;
  for (const m of objects) {
    if (!(m.flags & ts.TypeFlags.Object) && !(m.flags & ts.TypeFlags.Intersection)) return none;
    if (m.getSymbol()?.getName() === "CzResponse" || checker.getPropertyOfType(m, "byteLength")) return none;
    if (checker.getPropertyOfType(m, "then")) return none;
    // Streamed, not serialised (runtime/stream.ts), and so is a Web Response's body.
    if (isStreamType(m, checker) || isResponseType(m, checker)) return none;
  }
  let schema: Schema;
  try {
    schema = reader.read(awaited, handler);
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    return { response: null, fallback: `'${err.typeName}' is ${err.message}`, noContent: false };
  }
  const why = imprecision(schema, reader.defs);
  if (why) return { ...none, fallback: why };
  // A flat object literal's own inferred type holds exactly the fields the literal writes:
  // nothing to filter, and JSON.stringify keeps the object's order. Not so when a member
  // holds an object (`{ user }` with a User that carries a passwordHash at run time) or the
  // literal spreads one (`{ ...user }`): those are filtered by the inferred type, as a
  // declared return type or a named type is. The literal's type still describes the result.
  const decl = sigs[0].getDeclaration() as ts.SignatureDeclaration | undefined;
  if (!decl?.type && !namedAtTop(schema) && flatObject(schema) && !spreads(handler, checker)) {
    return { ...none, shape: schema };
  }
  return { ...none, response: schema };
}

/** An object whose members are all scalars (strings, numbers, literals, Dates, null): nothing inside to filter. */
function flatObject(s: Schema): boolean {
  const scalar = (m: Schema): boolean =>
    m.kind === "union" ? m.variants.every(scalar) : ["string", "number", "boolean", "null", "literal", "template", "date"].includes(m.kind);
  return s.kind === "object" && s.additional === null && s.props.every((p) => scalar(p.schema));
}

/** Does the handler's body spread a value into an object (or is its body out of sight)? */
function spreads(handler: ts.Expression, checker: ts.TypeChecker): boolean {
  const fn = resolveFunction(handler, checker);
  if (!fn) return true;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isSpreadAssignment(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(fn);
  return found;
}

/** `T`, `T[]`, `T | null` for a named T: the result is typed by the app's own declarations. */
function namedAtTop(s: Schema): boolean {
  if (s.kind === "ref") return true;
  if (s.kind === "array") return namedAtTop(s.items);
  if (s.kind === "union") return s.variants.every((v) => v.kind === "null" || namedAtTop(v));
  return false;
}

/** Why a result schema does not say exactly which fields to send, or null. */
function imprecision(s: Schema, defs: Map<string, Def>, seen = new Set<string>()): string | null {
  switch (s.kind) {
    case "any":
      return "it contains any or unknown";
    // Read as a file only beside a form body (the route's reader takes File/Blob then).
    case "file":
      return "it contains a File or Blob, which JSON does not hold";
    case "ref": {
      if (seen.has(s.id)) return null;
      seen.add(s.id);
      const d = defs.get(s.id);
      const why = d ? imprecision(d.schema, defs, seen) : "it contains a type the compiler could not read";
      return why && d ? `${why} (in ${d.tsName})` : why;
    }
    case "object":
      if (s.additional) return "it has an index signature (its keys are not known)";
      // `{}` (also what `unknown ?? null` narrows to) is any non-null value, not an empty object.
      if (s.props.length === 0) return "it contains {}, which is any value but null";
      for (const p of s.props) {
        const why = imprecision(p.schema, defs, seen);
        if (why) return why;
      }
      return null;
    case "array":
      return imprecision(s.items, defs, seen);
    case "tuple":
      for (const it of [...s.items, ...(s.rest ? [s.rest] : [])]) {
        const why = imprecision(it, defs, seen);
        if (why) return why;
      }
      return null;
    case "union": {
      for (const v of s.variants) {
        const why = imprecision(v, defs, seen);
        if (why) return why;
      }
      const structured = s.variants.filter((v) => !isScalar(v, defs));
      if (structured.length > 1 && !s.discriminant) {
        return "it has a union of object types without a discriminant property (which fields to send is not known)";
      }
      return null;
    }
    default:
      return null;
  }
}

function isScalar(s: Schema, defs: Map<string, Def>): boolean {
  for (let i = 0; i < 32 && s.kind === "ref"; i++) s = defs.get(s.id)?.schema ?? { kind: "any" };
  if (s.kind === "union") return s.variants.every((v) => isScalar(v, defs));
  return !["object", "array", "tuple", "any"].includes(s.kind);
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
