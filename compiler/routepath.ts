/**
 * Route path patterns: "/", "/users/:id", "/files/*", "/a/b/".
 * A pattern starts with '/'; its segments (split on '/') are static text, `:name` or
 * `:name(type)` (type: int, number, string, or literals `a|b|c`), or a final `*`. An empty
 * static segment is allowed only last ("/" or a trailing slash).
 */
import { MAX_PARAMS } from "../runtime/abi.js";
import { ptypeKey } from "./shared/params.js";
import type { ParamType, Segment } from "./types.js";

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LITERAL = /^[A-Za-z0-9_.~-]+$/;
/** RFC 3986 pchar minus '*' (reserved for the wildcard); ':' only after the first char. */
const STATIC_TEXT = /^[A-Za-z0-9\-._~!$&'()+,;=@%][A-Za-z0-9\-._~!$&'()+,;=@%:]*$/;

export type ParsedPath =
  { ok: true; segments: Segment[]; params: string[] } | { ok: false; code: "CZ1005" | "CZ1008"; message: string };

export function parsePath(path: string): ParsedPath {
  const bad = (why: string): ParsedPath => ({
    ok: false,
    code: "CZ1005",
    message: `Invalid route path ${JSON.stringify(path)}: ${why}.`,
  });
  if (!path.startsWith("/")) return bad("it must start with '/'");
  const parts = path.slice(1).split("/");
  const segments: Segment[] = [];
  const params: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    const last = i === parts.length - 1;
    if (s === "*") {
      if (!last) return bad("'*' must be the last segment");
      segments.push({ type: "wildcard" });
      params.push("*");
    } else if (s.startsWith(":")) {
      const m = /^:([^(]*)(?:\((.*)\))?$/.exec(s);
      const name = m ? m[1] : s.slice(1);
      if (!m || !PARAM_NAME.test(name)) {
        return bad(`parameter ${JSON.stringify(s)} must be :name or :name(type), name matching [A-Za-z_][A-Za-z0-9_]*`);
      }
      if (params.includes(name)) return bad(`parameter ':${name}' appears twice`);
      const ptype = paramType(m[2]);
      if (typeof ptype === "string") return bad(`parameter ':${name}': ${ptype}`);
      segments.push({ type: "param", name, ptype });
      params.push(name);
    } else if (s === "") {
      if (!last) return bad("empty segment ('//')");
      segments.push({ type: "static", text: "" });
    } else {
      if (s.includes("*")) return bad(`'*' is only allowed as a whole last segment (in ${JSON.stringify(s)})`);
      if (!STATIC_TEXT.test(s)) {
        return bad(`segment ${JSON.stringify(s)} has a character outside RFC 3986 path characters`);
      }
      segments.push({ type: "static", text: s });
    }
  }
  if (params.length > MAX_PARAMS) {
    return {
      ok: false,
      code: "CZ1008",
      message: `Route path ${JSON.stringify(path)} has ${params.length} parameters; at most ${MAX_PARAMS} are allowed.`,
    };
  }
  return { ok: true, segments, params };
}

/** `int`, `number`, `string`, or `a|b|c` (2+ literals of unreserved characters); a string says what is wrong. */
function paramType(text: string | undefined): ParamType | string {
  if (text === undefined || text === "string") return { type: "string" };
  if (text === "int" || text === "number") return { type: text };
  const values = text.split("|");
  if (values.length === 1) {
    return `unknown type ${JSON.stringify(text)}: use int, number, string, or two or more literals a|b (one literal is a static segment)`;
  }
  for (const v of values) {
    if (!LITERAL.test(v)) {
      return `type ${JSON.stringify(text)} must be int, number, string or literals a|b|c of [A-Za-z0-9_.~-] characters`;
    }
  }
  if (new Set(values).size !== values.length) return `type ${JSON.stringify(text)} repeats a literal`;
  return { type: "enum", values };
}

/** Shape of a pattern with parameter names erased: "/u/:/x" for "/u/:id/x" (static text never starts with ":"). */
export function shapeOf(segments: Segment[]): string {
  return (
    "/" +
    segments
      .map((s) =>
        s.type === "static"
          ? s.text
          : s.type === "param"
            ? s.ptype.type === "string"
              ? ":"
              : `:(${ptypeKey(s.ptype)})`
            : "*",
      )
      .join("/")
  );
}
