/** Typed path parameters (`:id(int)`), as the plan, the matcher and the generated files name them. */
import type { ParamType, Segment } from "../types.js";

/** "int", "number", "string", or the enum's values "a|b" (as written in the pattern). */
export function ptypeKey(t: ParamType): string {
  return t.type === "enum" ? t.values.join("|") : t.type;
}

const WILDCARD: ParamType = { type: "string" };

/** The type of each param in `params` order; a final `*` is a string. */
export function paramTypesOf(segments: readonly Segment[]): ParamType[] {
  return segments.flatMap((s) => (s.type === "param" ? [s.ptype] : s.type === "wildcard" ? [WILDCARD] : []));
}
