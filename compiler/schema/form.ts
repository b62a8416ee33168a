/**
 * Form bodies: a route whose handler declares `{ body: T }` and reads `req.form()` or
 * `req.formData()` takes T as an urlencoded or multipart form. Each property of T is one
 * field, so only types a field can hold are allowed (CZ1032 otherwise); validators.js gets a
 * `form_<T>` check that reads the fields through runtime/form-check.ts, coerces them as query
 * values are, and checks them with the same code a JSON body's check uses.
 *
 *   text   string, number, boolean, literal, template literal, Date, and unions of them
 *   list   an array of text types: every `name` and `name[]` field
 *   file   File or Blob: a file part
 *   files  an array of them
 */
import { COERCE_BOOLEAN, derefSchema, pathStep, type Schema } from "./ir.js";

export type FormField =
  | { kind: "text" }
  | { kind: "list"; items: Schema }
  | { kind: "file" }
  | { kind: "files"; items: Schema };

type Defs = ReadonlyMap<string, { schema: Schema }>;

/** What kind of field `s` is, or why it cannot be one. */
export function formField(s: Schema, defs: Defs): FormField | { why: string } {
  const d = derefSchema(s, defs);
  if (d.kind === "file") return { kind: "file" };
  if (d.kind === "array") {
    const item = derefSchema(d.items, defs);
    if (item.kind === "file") return { kind: "files", items: d.items };
    const why = textProblem(d.items, defs);
    return why === null ? { kind: "list", items: d.items } : { why: `an array of ${why}` };
  }
  const why = textProblem(s, defs);
  return why === null ? { kind: "text" } : { why };
}

/** Why `s` is no text field's type (null: it is one). */
function textProblem(s: Schema, defs: Defs): string | null {
  const d = derefSchema(s, defs);
  switch (d.kind) {
    case "any":
    case "string":
    case "number":
    case "boolean":
    case "literal":
    case "template":
    case "date":
      return null;
    case "union":
      for (const v of d.variants) {
        const why = textProblem(v, defs);
        if (why !== null) return `a union with ${why}`;
      }
      return null;
    case "null":
      return "null (a form cannot send null: make the field optional)";
    case "file":
      return "a file";
    case "array":
      return "an array (a list field holds text values)";
    case "tuple":
      return "a tuple";
    case "object":
      return "an object (a form field is one value: nested data is for a JSON body)";
    case "ref":
      return "a type the compiler could not read";
  }
}

/** The property of a form body type that cannot be a field, and why; null when every one can. */
export function formProblem(body: Schema, defs: Defs): { prop: string | null; why: string } | null {
  const obj = derefSchema(body, defs);
  if (obj.kind !== "object") return { prop: null, why: "is not an object type (a form is named fields)" };
  if (obj.additional) return { prop: null, why: "has an index signature (a form's fields are declared one by one)" };
  for (const p of obj.props) {
    const f = formField(p.schema, defs);
    if ("why" in f) return { prop: p.name, why: f.why };
  }
  return null;
}

/** What the generator gives form.ts (validator.ts `Generator`). */
export interface FormGen {
  text(s: Schema): string;
  deref(s: Schema): Schema;
  coercion(s: Schema): number;
  /** Statements reporting the failures of `v` at path expression `p`; they set `ok = false`. */
  report(s: Schema, v: string, p: string, hint: string): string[];
}

/**
 * `function <name>(fd, e)`: the fields of a parsed form → the typed object; failures into e.
 * Values are coerced before they are checked, so the check is the JSON one, unchanged.
 */
export function formFunction(gen: FormGen, body: Schema, name: string, defs: Defs): string[] {
  const obj = gen.deref(body);
  if (obj.kind !== "object") throw new Error("form schema is not an object");
  const lines = ["const out = {};", "let ok = true;", "let v;"];
  const ind = (ls: string[]) => ls.map((l) => "  " + l);
  for (const p of obj.props) {
    const f = formField(p.schema, defs);
    if ("why" in f) throw new Error(`form field ${p.name}: ${f.why}`);
    const path = "$" + pathStep(p.name);
    const ps = str(path);
    const exp = str(gen.text(p.schema));
    const set = `out[${str(p.name)}] = v;`;
    const hint = `${name}_${p.name}`;
    // After `if (v === undefined)`: absent is a failure, or nothing to set.
    const absent = p.optional
      ? ["else if (v !== null)"]
      : [`else if (v === null) ok = miss(e, ${ps}, ${exp}, "is required");`, "else"];
    if (f.kind === "text") {
      const flags = gen.coercion(p.schema);
      const date = gen.deref(p.schema).kind === "date";
      lines.push(
        `v = field(fd, ${str(p.name)}, ${ps}, ${exp}, e, ${!takesEmpty(p.schema, defs)});`,
        "if (v === undefined) ok = false;",
        ...absent.slice(0, -1),
        `${absent[absent.length - 1]} {`,
        ...ind([
          ...(flags ? [coercion("v", flags)] : []),
          ...gen.report(p.schema, "v", ps, hint),
          ...(date ? ["v = new Date(v);"] : []),
          set,
        ]),
        "}",
      );
    } else if (f.kind === "list") {
      const flags = gen.coercion(f.items);
      const date = gen.deref(f.items).kind === "date";
      lines.push(
        `v = fields(fd, ${str(p.name)}, ${ps}, ${str(gen.text(f.items))}, e);`,
        "if (v === undefined) ok = false;",
        // An absent list is empty (a form sends no field for no checked box); optional: left out.
        `else${p.optional ? " if (v.length > 0)" : ""} {`,
        ...ind([
          ...(flags ? [`for (let i = 0; i < v.length; i++) ${coercion("v[i]", flags)}`] : []),
          ...gen.report(p.schema, "v", ps, hint),
          ...(date ? ["v = v.map((s) => new Date(s));"] : []),
          set,
        ]),
        "}",
      );
    } else if (f.kind === "file") {
      lines.push(
        `v = file(fd, ${str(p.name)}, ${ps}, ${exp}, e);`,
        "if (v === undefined) ok = false;",
        ...absent.slice(0, -1),
        `${absent[absent.length - 1]} ${set}`,
      );
    } else {
      lines.push(
        `v = files(fd, ${str(p.name)}, ${ps}, ${str(gen.text(f.items))}, e);`,
        "if (v === undefined) ok = false;",
        `else${p.optional ? " if (v.length > 0)" : ""} {`,
        ...ind([...gen.report(p.schema, "v", ps, hint), set]),
        "}",
      );
    }
  }
  lines.push("return out;");
  return [`function ${name}(fd, e) {`, ...ind(lines), "}"];
}

/** An empty text field is a value of this type (else: absent, as an empty number input is). */
function takesEmpty(s: Schema, defs: Defs): boolean {
  const d = derefSchema(s, defs);
  if (d.kind === "union") return d.variants.some((v) => takesEmpty(v, defs));
  return d.kind === "string" || d.kind === "template" || d.kind === "any" || (d.kind === "literal" && d.value === "");
}

function str(v: string | boolean): string {
  return JSON.stringify(v);
}

/**
 * A text field's coercion (runtime/validate.ts coerce). A boolean also takes "on": what a
 * browser sends for a ticked `<input type="checkbox">` without a value attribute (an
 * unticked one sends nothing: the field is absent).
 */
function coercion(v: string, flags: number): string {
  return flags & COERCE_BOOLEAN
    ? `${v} = ${v} === "on" ? true : coerce(${v}, ${flags});`
    : `${v} = coerce(${v}, ${flags});`;
}
