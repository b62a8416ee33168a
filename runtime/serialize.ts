/**
 * What generated serializers (`.catzilla/serializers.js`) call. A route whose result type is
 * precise gets two functions per type: `s_T` writes the JSON text itself, `p_T` picks the
 * type's fields into a plain value for JSON.stringify. Both send exactly the type's fields
 * (the response filter); which one runs is chosen once, here, by what is faster on this Node:
 * V8's JSON.stringify caught up with generated code in Node 24 (bench/serialize.mjs).
 */
import { CzResponse } from "./response.js";

/** A handler result already turned into JSON text (writer.ts sends it as application/json). */
export class JsonText {
  constructor(readonly text: string) {}
}

export type Strategy = "concat" | "pick";

/** The Node major version from which pick + JSON.stringify beats concatenation. */
const PICK_FROM_NODE = 24;

function chooseStrategy(): Strategy {
  const forced = process.env.CATZILLA_SERIALIZER;
  if (forced === "concat" || forced === "pick") return forced;
  const major = Number(process.versions.node.split(".")[0]);
  return major >= PICK_FROM_NODE ? "pick" : "concat";
}

/** The strategy this process uses (CATZILLA_SERIALIZER=concat|pick overrides the choice). */
let CONCAT = chooseStrategy() === "concat";

export function serializerStrategy(): Strategy {
  return CONCAT ? "concat" : "pick";
}

/** For benchmarks and tests: run the other strategy from now on. */
export function setSerializerStrategy(s: Strategy): void {
  CONCAT = s === "concat";
}

/**
 * A route's (settled) result through its serializer: JSON objects and arrays become JsonText;
 * anything else (a CzResponse, text, bytes, undefined, null) goes on to encodeResult unchanged.
 */
export function serialized(v: unknown, s: (x: unknown) => string, p: (x: unknown) => unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof CzResponse || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  return new JsonText(CONCAT ? s(v) : JSON.stringify(p(v)));
}

/** Characters JSON must escape, and lone surrogates (JSON.stringify escapes them too). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** Any value as JSON.stringify writes it; `null` where it would write nothing. */
export function jval(v: unknown): string {
  return JSON.stringify(v) ?? "null";
}

/** Below this length a loop over the chars beats the regex (bench/schema/micro.mjs: 10-20 % on names and emails). */
const SHORT = 42;

export function jstr(v: unknown): string {
  if (typeof v !== "string") return jval(v);
  if (v.length < SHORT) {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(v);
    }
    return `"${v}"`;
  }
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
}

export function jnum(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v) ? "" + v : jval(v);
}

export function jbool(v: unknown): string {
  return v === true ? "true" : v === false ? "false" : jval(v);
}
