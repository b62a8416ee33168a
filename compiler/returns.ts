/**
 * What a handler returns and the statuses it answers with, checked at compile time by the
 * rules the runtime applies (runtime/result-object.ts, runtime/response.ts `checkStatus`):
 *
 *   CZ1040  a route handler's return type (through Promise, per union member, at the top)
 *           is something that cannot be sent: a function, a symbol, a bigint, a built-in
 *           object whose state JSON.stringify does not see (Map, Set, Error, RegExp, Headers…),
 *           an EventEmitter that is not a readable stream (a Writable, a socket), a sync
 *           iterator (a generator: not a stream), or an instance of a class with no data
 *           fields and no toJSON (sent as "{}").
 *   CZ1041  a status written as a constant (`json(x, { status: 600 })`, `new HttpError(99, …)`,
 *           `empty(100)`) that the runtime would refuse when the call runs.
 *
 * Fields deeper in a result are the schema pass's business (compiler/schema/: CZ2030 when a
 * type is too loose to serialize by): this looks only at what the handler returns itself.
 * `any` and `unknown` say nothing; the runtime answers 500 with a log line for those.
 */
import { ts } from "ts-morph";
import { checkStatus } from "../runtime/response.js";
import { diagAt } from "./diagnostics.js";
import { packageNameOf } from "./shared/package.js";
import { isResponseType, isStreamType } from "./shared/streams.js";
import { evalStatic } from "./staticval.js";
import type { Diagnostic } from "./types.js";

/** Lib wrapper classes whose instances JSON.stringify writes as their value. */
const JSON_WRAPPERS = new Set(["Object", "String", "Number", "Boolean"]);

/** CZ1040 for `handler` (the route `label`, "GET /x") when its return type shows a value that cannot be sent. */
export function returnProblems(
  handler: ts.Expression,
  label: string,
  checker: ts.TypeChecker,
  program: ts.Program,
): Diagnostic[] {
  const sigs = checker.getSignaturesOfType(checker.getTypeAtLocation(handler), ts.SignatureKind.Call);
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const sig of sigs) {
    const ret = sig.getReturnType();
    const awaited = checker.getAwaitedType(ret) ?? ret;
    for (const m of awaited.isUnion() ? awaited.types : [awaited]) {
      const why = unsendable(m, checker, program);
      if (why === null) continue;
      const type = checker.typeToString(m, undefined, ts.TypeFormatFlags.NoTruncation);
      if (seen.has(type)) continue;
      seen.add(type);
      out.push(
        diagAt(
          "CZ1040",
          `The handler for ${label} returns '${type}', which cannot be sent: ${why}. Return plain data, ` +
            "a string, bytes, a response helper's result, a Web Response or a stream (docs/handlers.md).",
          returnSite(handler, sig),
        ),
      );
    }
  }
  return out;
}

/** Why a value of type `t` cannot be sent, or null when it can (or the type does not say). */
export function unsendable(t: ts.Type, checker: ts.TypeChecker, program: ts.Program): string | null {
  const f = t.flags;
  if (f & (ts.TypeFlags.ESSymbol | ts.TypeFlags.UniqueESSymbol)) return "a symbol has no JSON form";
  if (f & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) return "JSON.stringify throws on a bigint";
  if (!(f & ts.TypeFlags.Object) || checker.isArrayType(t) || checker.isTupleType(t)) return null;
  if (checker.getSignaturesOfType(t, ts.SignatureKind.Call).length > 0) return "a function has no JSON form";
  // Sent as they are: streams, Web Responses, bytes, CzResponse, anything with toJSON.
  if (isStreamType(t, checker) || isResponseType(t, checker)) return null;
  if (checker.getPropertyOfType(t, "byteLength") || t.getSymbol()?.getName() === "CzResponse") return null;
  if (checker.getPropertyOfType(t, "toJSON")) return null;
  if (isEmitter(t, checker)) return "an EventEmitter (a Writable, a socket) is neither data nor a readable stream";
  const sym = t.getSymbol();
  if (!sym) return null;
  const decl = sym.declarations?.[0];
  const lib = !!decl && program.isSourceFileDefaultLibrary(decl.getSourceFile());
  // A generator or other lib iterator: its state is in the engine, and being sync it is no stream.
  if (lib && checker.getPropertyOfType(t, "next") && isIterable(t, checker)) {
    return "a sync iterator (a generator) is not a stream and JSON.stringify would send {}; stream with an async generator, or return an array";
  }
  // A lib interface with a constructor beside it (`interface Map` + `declare var Map`) is a built-in class.
  if (lib && sym.flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Class) && !JSON_WRAPPERS.has(sym.getName())) {
    return `${article(sym.getName())} ${sym.getName()} keeps its state where JSON.stringify does not look, so it would send {}`;
  }
  if (sym.flags & ts.SymbolFlags.Class && !lib && dataFields(t, checker) === 0) {
    return `an instance of class ${sym.getName()} has no data fields and no toJSON(), so JSON.stringify would send {}`;
  }
  return null;
}

function article(name: string): string {
  return /^[AEIOU]/.test(name) ? "an" : "a";
}

/** Has `[Symbol.iterator]` (the checker names it `__@iterator@<id>`). */
function isIterable(t: ts.Type, checker: ts.TypeChecker): boolean {
  return checker.getPropertiesOfType(t).some((p) => p.getName().startsWith("__@iterator@"));
}

/** EventEmitter's shape (node:events), whatever derives from it. */
function isEmitter(t: ts.Type, checker: ts.TypeChecker): boolean {
  return ["emit", "eventNames", "listenerCount", "removeAllListeners"].every((p) => checker.getPropertyOfType(t, p));
}

/** Properties a class instance holds as own enumerable fields (declared fields, parameter properties). */
function dataFields(t: ts.Type, checker: ts.TypeChecker): number {
  let n = 0;
  for (const p of checker.getPropertiesOfType(t)) {
    if (p.getName().startsWith("__#") || p.getName().startsWith("__@")) continue;
    const decl = p.valueDeclaration;
    if (decl && (ts.isPropertyDeclaration(decl) || ts.isParameter(decl) || ts.isPropertySignature(decl))) n++;
  }
  return n;
}

/** Where to point: the declared return type when written, else the handler. */
function returnSite(handler: ts.Expression, sig: ts.Signature): ts.Node {
  const decl = sig.getDeclaration() as ts.SignatureDeclaration | undefined;
  if (decl?.type && decl.getSourceFile() === handler.getSourceFile()) return decl.type;
  return handler;
}

/** Where each catzilla call takes its status: the argument index, and the init property when in an object. */
const STATUS_ARGS: Record<string, { arg: number; prop?: string }> = {
  json: { arg: 1, prop: "status" },
  text: { arg: 1, prop: "status" },
  html: { arg: 1, prop: "status" },
  body: { arg: 1, prop: "status" },
  stream: { arg: 1, prop: "status" },
  sse: { arg: 1, prop: "status" },
  empty: { arg: 0 },
  HttpError: { arg: 0 },
};

/** CZ1041 for every catzilla call in `files` whose status is a constant the runtime refuses. */
export function statusProblems(files: readonly ts.SourceFile[], checker: ts.TypeChecker): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments) {
      const name = catzillaExport(n.expression, checker);
      const where = name === undefined ? undefined : STATUS_ARGS[name];
      const arg = where && n.arguments[where.arg];
      if (where && arg) {
        const at = where.prop ? statusProperty(arg, where.prop) : arg;
        const v = at && evalStatic(at, { checker });
        if (at && v?.ok && typeof v.value === "number") {
          try {
            checkStatus(v.value, `the status of ${name}()`);
          } catch (err) {
            const msg = (err as Error).message.replace(/^catzilla: t/, "T");
            out.push(diagAt("CZ1041", `${msg}: the call would throw when it runs.`, at));
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  for (const sf of files) visit(sf);
  return out;
}

/** `{ status: 600 }` → the `600` node (a property written out; spreads and getters are not followed). */
function statusProperty(arg: ts.Expression, prop: string): ts.Expression | undefined {
  let e = arg;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  if (!ts.isObjectLiteralExpression(e)) return undefined;
  for (const p of e.properties) {
    if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === prop) return p.initializer;
  }
  return undefined;
}

/** The exported name when `callee` is one of catzilla's own functions or classes (not a look-alike). */
function catzillaExport(callee: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const id = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
  if (!ts.isIdentifier(id)) return undefined;
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.[0];
  if (!decl || !(ts.isFunctionDeclaration(decl) || ts.isClassDeclaration(decl)) || !decl.name) return undefined;
  if (!Object.prototype.hasOwnProperty.call(STATUS_ARGS, decl.name.text)) return undefined;
  return packageNameOf(decl.getSourceFile().fileName) === "catzilla" ? decl.name.text : undefined;
}
