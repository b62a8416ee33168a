/**
 * The schema IR: what a TypeScript type says a JSON value may be, as plain data. Built from
 * the type checker by from-type.ts; read by the validator, serializer and OpenAPI emitters.
 * Named types (interfaces, aliases, enums, generic instantiations) are `ref`s into a table
 * of definitions, so each gets one validator and one component schema, and recursive
 * types terminate.
 */

export interface StringTags {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

export interface NumberTags {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

export interface ArrayTags {
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

export interface Prop {
  name: string;
  schema: Schema;
  optional: boolean;
  description?: string;
}

export type Literal = string | number | boolean;

export type Schema =
  | { kind: "any" }
  | { kind: "string"; tags: StringTags }
  | { kind: "number"; integer: boolean; tags: NumberTags }
  | { kind: "boolean" }
  | { kind: "null" }
  | { kind: "literal"; value: Literal }
  /** A template literal type: `user_${number}`; `pattern` is an anchored regex source. */
  | { kind: "template"; pattern: string; text: string }
  /** `Date`: sent and accepted as an RFC 3339 date-time string. */
  | { kind: "date" }
  /**
   * `File` or `Blob` (`blob`): a file part of a form body (form.ts). Read only for a form
   * body: JSON has no files.
   */
  | { kind: "file"; blob: boolean }
  | { kind: "array"; items: Schema; tags: ArrayTags }
  /** `[a, b?, ...c[]]`: `required` leading elements, the rest optional, then `rest`. */
  | { kind: "tuple"; items: Schema[]; required: number; rest: Schema | null }
  /** `additional`: the type of other keys (index signature, Record<string, T>), null: none allowed in output. */
  | { kind: "object"; props: Prop[]; additional: Schema | null }
  /**
   * `discriminant`: a property every variant (each an object or a ref to one) holds as a
   * literal; its value picks the one variant whose errors are reported.
   */
  | { kind: "union"; variants: Schema[]; discriminant: { prop: string; values: Literal[][] } | null }
  | { kind: "ref"; id: string };

export interface Def {
  /** Stable identity (declaring file relative to the project, name, type arguments). */
  id: string;
  /** The TypeScript name as written (`User`, `Page<User>`). */
  tsName: string;
  schema: Schema;
  description?: string;
}

/** What one route declares: request parts and the response, with the named types they use. */
export interface RouteSchema {
  body: Schema | null;
  query: Schema | null;
  headers: Schema | null;
  /** The handler's result type when it is precise enough to serialize by, else null. */
  response: Schema | null;
  /**
   * The result type of a handler whose inferred object literal is sent as it is (nothing to
   * filter, so `response` is null): what openapi.json and the typed client still describe.
   */
  shape?: Schema;
  /**
   * Why a JSON result type is not serialized by its type (sent with JSON.stringify, note
   * CZ2030), or null: the result is serialized, or is no JSON object (text, bytes, a CzResponse).
   */
  fallback: string | null;
  /** The handler returns nothing (`void`/`undefined`): a 204. */
  noContent: boolean;
  /**
   * The body is a form (`application/x-www-form-urlencoded` or `multipart/form-data`), not
   * JSON: the handler reads it with `req.form()` or `req.formData()`. Each property of `body`
   * is a field, coerced from its string (compiler/schema/form.ts).
   */
  form?: true;
  /** The JSDoc of the registration (`/** … *\/ app.get(…)`) or of the named handler. */
  description?: string;
  defs: Def[];
}

/** The schema a reference names, through chains of references (at most 32 steps, so a
 * cycle of bare references ends; an unknown id is `any`). */
export function derefSchema(s: Schema, defs: ReadonlyMap<string, { schema: Schema }>): Schema {
  for (let i = 0; i < 32 && s.kind === "ref"; i++) s = defs.get(s.id)?.schema ?? { kind: "any" };
  return s;
}

/** TypeScript-like text for a schema: what a 400's `expected` says. */
export function schemaText(s: Schema, names: (id: string) => string): string {
  switch (s.kind) {
    case "any":
      return "unknown";
    case "string": {
      const t = s.tags;
      return [
        "string",
        ...(t.format !== undefined ? [`Format<${JSON.stringify(t.format)}>`] : []),
        ...(t.minLength !== undefined ? [`MinLength<${t.minLength}>`] : []),
        ...(t.maxLength !== undefined ? [`MaxLength<${t.maxLength}>`] : []),
        ...(t.pattern !== undefined ? [`Pattern<${JSON.stringify(t.pattern)}>`] : []),
      ].join(" & ");
    }
    case "number": {
      const t = s.tags;
      return [
        "number",
        ...(s.integer ? ["Integer"] : []),
        ...(t.minimum !== undefined ? [`Minimum<${t.minimum}>`] : []),
        ...(t.maximum !== undefined ? [`Maximum<${t.maximum}>`] : []),
        ...(t.exclusiveMinimum !== undefined ? [`ExclusiveMinimum<${t.exclusiveMinimum}>`] : []),
        ...(t.exclusiveMaximum !== undefined ? [`ExclusiveMaximum<${t.exclusiveMaximum}>`] : []),
        ...(t.multipleOf !== undefined ? [`MultipleOf<${t.multipleOf}>`] : []),
      ].join(" & ");
    }
    case "boolean":
    case "null":
      return s.kind;
    case "literal":
      return JSON.stringify(s.value);
    case "template":
      return s.text;
    case "date":
      return "Date";
    case "file":
      return s.blob ? "Blob" : "File";
    case "array": {
      const inner = schemaText(s.items, names);
      const base = s.items.kind === "union" ? `(${inner})[]` : `${inner}[]`;
      const t = s.tags;
      return [
        base,
        ...(t.minItems !== undefined ? [`MinItems<${t.minItems}>`] : []),
        ...(t.maxItems !== undefined ? [`MaxItems<${t.maxItems}>`] : []),
        ...(t.uniqueItems ? ["UniqueItems"] : []),
      ].join(" & ");
    }
    case "tuple": {
      const items = s.items.map((it, i) => schemaText(it, names) + (i >= s.required ? "?" : ""));
      if (s.rest) items.push(`...${schemaText(s.rest, names)}[]`);
      return `[${items.join(", ")}]`;
    }
    case "object": {
      const props = s.props.map((p) => `${propKey(p.name)}${p.optional ? "?" : ""}: ${schemaText(p.schema, names)}`);
      if (s.additional) props.push(`[key: string]: ${schemaText(s.additional, names)}`);
      return props.length ? `{ ${props.join("; ")} }` : "{}";
    }
    case "union":
      return s.variants.map((v) => schemaText(v, names)).join(" | ");
    case "ref":
      return names(s.id);
  }
}

/** The path step for a property in a 400's `path`: `.name` or `["odd-key"]`. */
export function pathStep(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function propKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** The coerce() flags of runtime/validate.ts: what a query, header or form string may become. */
export const COERCE_NUMBER = 1;
export const COERCE_BOOLEAN = 2;
