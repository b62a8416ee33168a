/**
 * Handler kind from the type checker alone: the handler expression's type, every call
 * signature it has, and each signature's return type. Never "sync" when a promise can
 * come back; when in doubt "maybe".
 */
import { ts } from "ts-morph";
import { skipOuter } from "./shared/ast.js";
import { isStreamType, STREAM_REASON } from "./shared/streams.js";
import type { Kind } from "./types.js";

export type Classification =
  { ok: true; kind: Kind; reason: string; type: string } | { ok: false; type: string; reason: string };

interface Verdict {
  kind: "sync" | "async" | "maybe";
  reason: string;
}

export function classify(handler: ts.Expression, checker: ts.TypeChecker, promiseType: ts.Type): Classification {
  const type = checker.getTypeAtLocation(handler);
  const typeText = checker.typeToString(type, handler, ts.TypeFormatFlags.NoTruncation);
  const fn = skipOuter(handler);
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && isAsyncFunction(fn)) {
    return { ok: true, kind: "async", reason: "async function", type: typeText };
  }
  if (type.flags & ts.TypeFlags.Any)
    return { ok: true, kind: "maybe", reason: "the handler's type is any", type: typeText };
  if (type.flags & ts.TypeFlags.Unknown)
    return { ok: true, kind: "maybe", reason: "the handler's type is unknown", type: typeText };
  if (type.flags & ts.TypeFlags.TypeParameter) {
    return { ok: true, kind: "maybe", reason: "the handler's type is a type parameter", type: typeText };
  }
  const members = type.isUnion() ? type.types : [type];
  const signatures: ts.Signature[] = [];
  for (const m of members) {
    if (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
      return { ok: true, kind: "maybe", reason: "the handler's type includes any/unknown", type: typeText };
    }
    const sigs = checker.getSignaturesOfType(m, ts.SignatureKind.Call);
    if (sigs.length === 0) {
      return { ok: false, type: typeText, reason: `${checker.typeToString(m)} has no call signature` };
    }
    signatures.push(...sigs);
  }
  const verdicts = signatures.map((s) => signatureVerdict(s, checker, promiseType));
  const first = verdicts[0];
  if (verdicts.every((v) => v.kind === first.kind))
    return { ok: true, kind: first.kind, reason: first.reason, type: typeText };
  const detail = verdicts.map((v) => `${v.kind} (${v.reason})`).join(", ");
  return {
    ok: true,
    kind: "maybe",
    reason: `its ${signatures.length} call signatures disagree: ${detail}`,
    type: typeText,
  };
}

function isAsyncFunction(fn: ts.SignatureDeclaration): boolean {
  const mods = ts.canHaveModifiers(fn) ? ts.getModifiers(fn) : undefined;
  const isGenerator =
    (ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && !!fn.asteriskToken;
  return !isGenerator && !!mods?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

function signatureVerdict(sig: ts.Signature, checker: ts.TypeChecker, promiseType: ts.Type): Verdict {
  const decl = sig.getDeclaration() as ts.SignatureDeclaration | undefined;
  if (decl && isAsyncFunction(decl)) return { kind: "async", reason: "async function" };
  // A function *type* returning void accepts an async function; a function body declared void does not.
  const hasBody = !!decl && "body" in decl && !!(decl as { body?: ts.Node }).body;
  return returnVerdict(checker.getReturnTypeOfSignature(sig), !hasBody, checker, promiseType);
}

export function returnVerdict(t: ts.Type, opaqueVoid: boolean, checker: ts.TypeChecker, promiseType: ts.Type): Verdict {
  const show = () => checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation);
  if (t.flags & ts.TypeFlags.Any) return { kind: "maybe", reason: "returns any" };
  if (t.flags & ts.TypeFlags.Unknown) return { kind: "maybe", reason: "returns unknown" };
  if (
    t.flags & ts.TypeFlags.Instantiable ||
    (t.isIntersection() && t.types.some((m) => m.flags & ts.TypeFlags.Instantiable))
  ) {
    return { kind: "maybe", reason: `returns a generic type (${show()})` };
  }
  if (t.isUnion()) {
    const parts = t.types.map((m) => returnVerdict(m, opaqueVoid, checker, promiseType));
    if (parts.every((p) => p.kind === "async")) return { kind: "async", reason: `returns a promise (${show()})` };
    if (parts.every((p) => p.kind === "sync")) return { kind: "sync", reason: `returns ${show()}` };
    return { kind: "maybe", reason: `returns a union of promise and non-promise types (${show()})` };
  }
  // Sent after the handler returns, as the source produces it: the checked path, which
  // starts the stream (runtime/streaming.ts), never the sync one.
  if (isStreamType(t, checker)) return { kind: "maybe", reason: STREAM_REASON };
  const thenable = thenableness(t, checker);
  if (thenable === "yes") return { kind: "async", reason: `returns a promise (${show()})` };
  if (thenable === "maybe") return { kind: "maybe", reason: `returns a type whose 'then' may be callable (${show()})` };
  if (t.flags & ts.TypeFlags.Void && opaqueVoid) {
    return { kind: "maybe", reason: "returns void through a function type, which an async function is assignable to" };
  }
  // The type of an object literal expression (`() => ({})`) describes a fresh plain object, never a promise.
  const fromLiteral = t.flags & ts.TypeFlags.Object && (t.getSymbol()?.flags ?? 0) & ts.SymbolFlags.ObjectLiteral;
  if (!fromLiteral && !(t.flags & ts.TypeFlags.Never) && checker.isTypeAssignableTo(promiseType, t)) {
    return { kind: "maybe", reason: `returns ${show()}, which a promise is assignable to` };
  }
  return { kind: "sync", reason: `returns ${show()}` };
}

/** "yes" when the type has a callable `then` (PromiseLike), "maybe" when `then` is optional or any. */
function thenableness(t: ts.Type, checker: ts.TypeChecker): "yes" | "no" | "maybe" {
  const then = checker.getPropertyOfType(t, "then");
  if (!then) return "no";
  const thenType = checker.getTypeOfSymbol(then);
  if (thenType.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return "maybe";
  const nonNull = checker.getNonNullableType(thenType);
  const members = nonNull.isUnion() ? nonNull.types : [nonNull];
  const callable = members.map((m) => checker.getSignaturesOfType(m, ts.SignatureKind.Call).length > 0);
  if (callable.every(Boolean)) return then.flags & ts.SymbolFlags.Optional || nonNull !== thenType ? "maybe" : "yes";
  return callable.some(Boolean) ? "maybe" : "no";
}
