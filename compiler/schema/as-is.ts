/**
 * Does a value known at compile time already hold exactly what its result type sends?
 *
 * A const route (constroute.ts) is answered from bytes built with `encodeResult`, i.e.
 * JSON.stringify of the value, while a sync route with a result type sends the value through
 * its serializer, which drops every field the type does not declare (the response filter).
 * `const CONFIG = { name, apiKey }; app.get("/cfg", (): PublicConfig => CONFIG)` must not
 * send `apiKey` because the route happened to be const. So a const route with a result type
 * is only const when filtering would change nothing; otherwise it stays sync and filtered.
 *
 * Conservative by design: false whenever the answer is not obvious (a Date, a file, an
 * undefined member, a key the type only allows through an index signature, keys in another
 * order than the type's, which the serializer writes in). A false answer
 * costs only the const fast path, never correctness.
 */
import { derefSchema, type Def, type Schema } from "./ir.js";

export function sentAsIs(value: unknown, s: Schema, defs: ReadonlyMap<string, Def>): boolean {
  const d = derefSchema(s, defs);
  switch (d.kind) {
    case "any":
      return true;
    case "string":
    case "template":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "literal":
      return value === d.value;
    case "date":
    case "file":
    case "ref": // a chain of bare references derefSchema gave up on
      return false;
    case "array":
      return Array.isArray(value) && value.every((v) => sentAsIs(v, d.items, defs));
    case "tuple": {
      if (!Array.isArray(value) || value.length < d.required) return false;
      if (d.rest === null && value.length > d.items.length) return false;
      return value.every((v, i) => sentAsIs(v, i < d.items.length ? d.items[i] : d.rest!, defs));
    }
    case "object": {
      if (d.additional !== null || !isPlainObject(value)) return false;
      const props = new Map(d.props.map((p) => [p.name, p]));
      const keys = Object.keys(value);
      for (const key of keys) if (!props.has(key)) return false;
      // The serializer writes fields in the type's order; JSON.stringify in the value's.
      const typeOrder = d.props.filter((p) => Object.prototype.hasOwnProperty.call(value, p.name)).map((p) => p.name);
      if (typeOrder.some((name, i) => keys[i] !== name)) return false;
      for (const p of d.props) {
        if (!Object.prototype.hasOwnProperty.call(value, p.name)) {
          if (!p.optional) return false;
        } else if (!sentAsIs(value[p.name], p.schema, defs)) return false;
      }
      return true;
    }
    case "union":
      return d.variants.some((v) => sentAsIs(value, v, defs));
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
