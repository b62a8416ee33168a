/**
 * Schema IR → `validators.js`: plain JS, two functions per type (reused by every route that
 * uses it) and one check object per route.
 *
 *   is_T(x)        true when x is a valid T; short-circuits, builds no strings
 *   v_T(x, p, e)   runs only after is_T said no: pushes { path, expected, message } for each
 *                  failure under path p (`$`, `$.tags[1]`) into e, returns false
 *
 * Query and header checks (`query_<id>`, `headers_<id>`) read strings by name, coerce them to
 * the declared number/boolean/literal types, check them and return the coerced object.
 */
import { FORMAT_NAMES } from "../../runtime/validate.js";
import { HEADER } from "../shared/generated.js";
import { COERCE_BOOLEAN, COERCE_NUMBER, derefSchema, pathStep, schemaText, type Def, type Literal, type Schema } from "./ir.js";
import { Revivers } from "./revive.js";
import { formFunction } from "./form.js";

/** Runtime helpers generated code imports (runtime/validate.ts, through catzilla/internal). */
const HELPERS = ["coerce", "formats", "miss", "unique"] as const;
/** …and a form body's check (runtime/form-check.ts), when a route takes one. */
const FORM_HELPERS = ["field", "fields", "file", "files"] as const;

export interface CheckedRoute {
  id: number;
  method: string;
  path: string;
  body: Schema | null;
  query: Schema | null;
  headers: Schema | null;
  /** The body is a form (compiler/schema/form.ts), not JSON. */
  form?: boolean;
}

/** Def id → the JS-safe name of its functions (unique, in order of first use). */
export type DefNames = Map<string, string>;

export function defNames(defs: Def[]): DefNames {
  const names: DefNames = new Map();
  const used = new Set<string>();
  for (const d of [...defs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const base = identifier(d.tsName);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    names.set(d.id, name);
  }
  return names;
}

/** A definition with the file that declares it, relative to the project (for comments). */
export type FiledDef = Def & { file: string };

export function emitValidators(routes: CheckedRoute[], defs: FiledDef[], names: DefNames): string {
  const gen = new Generator(new Map(defs.map((d) => [d.id, d])), names);
  // A Date is checked as an RFC 3339 string, then revived: `(s) => "is_" + name`, for unions.
  const revivers = new Revivers(new Map(defs.map((d) => [d.id, d])), names, (s, hint) => `is_${gen.fn(s, hint)}`);
  const exports: string[] = [];
  for (const r of routes) {
    const parts: string[] = [];
    if (r.body && r.form) parts.push(`form: ${gen.form(r.body, r.id)}`);
    else if (r.body) {
      const f = gen.fn(r.body, `route${r.id}_body`);
      const revive = revivers.fn(r.body, `route${r.id}_body`);
      parts.push(
        `body: { is: is_${f}, report: v_${f}, expected: ${str(gen.text(r.body))}${revive ? `, revive: ${revive}` : ""} }`,
      );
    }
    if (r.query) parts.push(`query: ${gen.part(r.query, r.id, "query")}`);
    if (r.headers) parts.push(`headers: ${gen.part(r.headers, r.id, "headers")}`);
    exports.push(`// ${comment(`${r.method} ${r.path}`)}`, `export const route${r.id} = { ${parts.join(", ")} };`, "");
  }
  return [
    `// ${HEADER}`,
    `import { ${[...HELPERS, ...(routes.some((r) => r.form) ? FORM_HELPERS : [])].join(", ")} } from "catzilla/internal";`,
    "",
    ...gen.constants,
    ...(gen.constants.length ? [""] : []),
    ...gen.out,
    ...revivers.out,
    ...exports,
  ].join("\n");
}

class Generator {
  /** Emitted functions, in order of first use. */
  readonly out: string[] = [];
  /** Hoisted regular expressions (`const re0 = /…/;`). */
  readonly constants: string[] = [];
  private readonly fns = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly regexes = new Map<string, string>();

  constructor(
    private readonly defs: Map<string, FiledDef>,
    private readonly names: DefNames,
  ) {}

  text(s: Schema): string {
    return schemaText(s, (id) => this.defs.get(id)?.tsName ?? id);
  }

  deref(s: Schema): Schema {
    return derefSchema(s, this.defs);
  }

  /** The base name of `s`'s is_/v_ pair, generating them on first use. */
  fn(s: Schema, hint: string): string {
    const key = s.kind === "ref" ? `ref:${s.id}` : JSON.stringify(s);
    const known = this.fns.get(key);
    if (known) return known;
    let name = s.kind === "ref" ? this.names.get(s.id)! : identifier(hint);
    if (s.kind !== "ref") for (let n = 2; this.used.has(name) || [...this.names.values()].includes(name); n++) name = `${identifier(hint)}_${n}`;
    this.used.add(name);
    this.fns.set(key, name);
    const def = s.kind === "ref" ? this.defs.get(s.id) : undefined;
    const body = def ? def.schema : s;
    const lines = [`// ${comment(def ? `${def.tsName} (${def.file})` : this.text(s))}`];
    lines.push(...this.isFn(name, body), ...this.reportFn(name, body, def ? def.tsName : this.text(s)), "");
    this.out.push(...lines);
    return name;
  }

  /** A yes/no expression for `v` (a simple expression, evaluated more than once). */
  private test(s: Schema, v: string, hint: string): string {
    switch (s.kind) {
      case "any":
        return "true";
      case "boolean":
        return `typeof ${v} === "boolean"`;
      case "null":
        return `${v} === null`;
      case "literal":
        return `${v} === ${str(s.value)}`;
      case "file":
        return `${v} instanceof ${s.blob ? "Blob" : "File"}`;
      case "string":
      case "number":
      case "template":
      case "date":
        return this.primitiveChecks(s, v).map((c) => c.pass).join(" && ");
      default:
        return `is_${this.fn(s, hint)}(${v})`;
    }
  }

  /** The checks of a primitive, in order; each assumes the ones before it passed. */
  private primitiveChecks(s: Schema, v: string): Check[] {
    switch (s.kind) {
      case "string": {
        const t = s.tags;
        const out = [check(`typeof ${v} === "string"`, `typeof ${v} !== "string"`, "must be a string")];
        if (t.minLength !== undefined)
          out.push(check(`${v}.length >= ${t.minLength}`, `${v}.length < ${t.minLength}`, `must be at least ${plural(t.minLength, "character")} long`));
        if (t.maxLength !== undefined)
          out.push(check(`${v}.length <= ${t.maxLength}`, `${v}.length > ${t.maxLength}`, `must be at most ${plural(t.maxLength, "character")} long`));
        if (t.pattern !== undefined) {
          const re = this.regex(t.pattern);
          out.push(check(`${re}.test(${v})`, `!${re}.test(${v})`, `must match ${t.pattern}`));
        }
        if (t.format !== undefined) {
          const f = `formats[${str(t.format)}](${v})`;
          out.push(check(f, `!${f}`, `must be ${FORMAT_NAMES[t.format] ?? `a ${t.format}`}`));
        }
        return out;
      }
      case "number": {
        const t = s.tags;
        const out = s.integer
          ? [check(`Number.isInteger(${v})`, `!Number.isInteger(${v})`, "must be an integer")]
          : [check(`typeof ${v} === "number" && Number.isFinite(${v})`, `typeof ${v} !== "number" || !Number.isFinite(${v})`, "must be a number")];
        const bound = (value: number | undefined, pass: string, fail: string, msg: string) => {
          if (value !== undefined) out.push(check(`${v} ${pass} ${value}`, `${v} ${fail} ${value}`, `${msg} ${value}`));
        };
        bound(t.minimum, ">=", "<", "must be at least");
        bound(t.maximum, "<=", ">", "must be at most");
        bound(t.exclusiveMinimum, ">", "<=", "must be greater than");
        bound(t.exclusiveMaximum, "<", ">=", "must be less than");
        if (t.multipleOf !== undefined)
          out.push(check(`${v} % ${t.multipleOf} === 0`, `${v} % ${t.multipleOf} !== 0`, `must be a multiple of ${t.multipleOf}`));
        return out;
      }
      case "template": {
        const re = this.regex(s.pattern);
        return [
          check(`typeof ${v} === "string"`, `typeof ${v} !== "string"`, "must be a string"),
          check(`${re}.test(${v})`, `!${re}.test(${v})`, `must have the form ${s.text}`),
        ];
      }
      case "date":
        return [
          check(`typeof ${v} === "string"`, `typeof ${v} !== "string"`, "must be a date-time string (RFC 3339)"),
          check(`formats["date-time"](${v})`, `!formats["date-time"](${v})`, "must be a date-time (RFC 3339)"),
        ];
      default:
        throw new Error(`not a primitive: ${s.kind}`);
    }
  }

  /** Statements reporting the failures of `v` at path expression `p`; they set `ok = false`. */
  report(s: Schema, v: string, p: string, hint: string): string[] {
    const exp = str(this.text(s));
    switch (s.kind) {
      case "any":
        return [];
      case "boolean":
        return [`if (typeof ${v} !== "boolean") ok = miss(e, ${p}, ${exp}, "must be a boolean");`];
      case "null":
        return [`if (${v} !== null) ok = miss(e, ${p}, ${exp}, "must be null");`];
      case "literal":
        return [`if (${v} !== ${str(s.value)}) ok = miss(e, ${p}, ${exp}, ${str(`must be ${str(s.value)}`)});`];
      case "file":
        return [`if (!(${v} instanceof ${s.blob ? "Blob" : "File"})) ok = miss(e, ${p}, ${exp}, "must be a file");`];
      case "string":
      case "number":
      case "template":
      case "date":
        return this.primitiveChecks(s, v).map(
          (c, i) => `${i ? "else " : ""}if (${c.fail}) ok = miss(e, ${p}, ${exp}, ${str(c.message)});`,
        );
      default: {
        const f = this.fn(s, hint);
        return [`if (!is_${f}(${v})) ok = v_${f}(${v}, ${p}, e);`];
      }
    }
  }

  private isFn(name: string, s: Schema): string[] {
    const head = `function is_${name}(x) {`;
    switch (s.kind) {
      case "object": {
        const conds = ['typeof x === "object"', "x !== null", "!Array.isArray(x)"];
        for (const p of s.props) {
          const v = access("x", p.name);
          const t = this.test(p.schema, v, `${name}_${p.name}`);
          conds.push(p.optional ? `(${v} === undefined || ${t})` : p.schema.kind === "any" ? `${v} !== undefined` : t);
        }
        if (!s.additional) return [head, `  return ${conds.join(" &&\n    ")};`, "}"];
        const known = s.props.map((p) => `k === ${str(p.name)}`).join(" || ");
        return [
          head,
          `  if (!(${conds.join(" &&\n    ")})) return false;`,
          "  for (const k in x) {",
          ...(known ? [`    if (${known}) continue;`] : []),
          `    if (!(${this.test(s.additional, "x[k]", `${name}_value`)})) return false;`,
          "  }",
          "  return true;",
          "}",
        ];
      }
      case "array": {
        const t = s.tags;
        const bad = ["!Array.isArray(x)"];
        if (t.minItems !== undefined) bad.push(`x.length < ${t.minItems}`);
        if (t.maxItems !== undefined) bad.push(`x.length > ${t.maxItems}`);
        return [
          head,
          `  if (${bad.join(" || ")}) return false;`,
          `  for (let i = 0; i < x.length; i++) if (!(${this.test(s.items, "x[i]", `${name}_item`)})) return false;`,
          `  return ${t.uniqueItems ? "unique(x)" : "true"};`,
          "}",
        ];
      }
      case "tuple": {
        const conds = ["Array.isArray(x)"];
        if (!s.rest && s.required === s.items.length) conds.push(`x.length === ${s.required}`);
        else conds.push(`x.length >= ${s.required}`, ...(s.rest ? [] : [`x.length <= ${s.items.length}`]));
        s.items.forEach((it, i) => {
          const t = this.test(it, `x[${i}]`, `${name}_${i}`);
          conds.push(i < s.required ? t : `(x.length <= ${i} || ${t})`);
        });
        if (!s.rest) return [head, `  return ${conds.join(" &&\n    ")};`, "}"];
        return [
          head,
          `  if (!(${conds.join(" &&\n    ")})) return false;`,
          `  for (let i = ${s.items.length}; i < x.length; i++) if (!(${this.test(s.rest, "x[i]", `${name}_rest`)})) return false;`,
          "  return true;",
          "}",
        ];
      }
      case "union": {
        if (s.discriminant) {
          const d = s.discriminant;
          const cases = s.variants.flatMap((v, i) => [
            ...d.values[i].map((l) => `    case ${str(l)}:`),
            `      return ${this.test(v, "x", `${name}_${i}`)};`,
          ]);
          return [
            head,
            '  if (typeof x !== "object" || x === null) return false;',
            `  switch (${access("x", d.prop)}) {`,
            ...cases,
            "    default:",
            "      return false;",
            "  }",
            "}",
          ];
        }
        return [head, `  return ${s.variants.map((v, i) => this.test(v, "x", `${name}_${i}`)).join(" ||\n    ")};`, "}"];
      }
      default:
        return [head, `  return ${this.test(s, "x", name)};`, "}"];
    }
  }

  private reportFn(name: string, s: Schema, expected: string): string[] {
    const head = `function v_${name}(x, p, e) {`;
    const exp = str(expected);
    const indent = (lines: string[], by = "  ") => lines.map((l) => by + l);
    switch (s.kind) {
      case "object": {
        const body: string[] = [
          'if (typeof x !== "object" || x === null || Array.isArray(x)) return miss(e, p, ' + exp + ', "must be an object");',
          "let ok = true;",
        ];
        for (const p of s.props) {
          const v = access("x", p.name);
          const path = `p + ${str(pathStep(p.name))}`;
          const checks = this.report(p.schema, v, path, `${name}_${p.name}`);
          if (p.optional) {
            if (checks.length) body.push(`if (${v} !== undefined) {`, ...indent(checks), "}");
          } else {
            body.push(`if (${v} === undefined) ok = miss(e, ${path}, ${str(this.text(p.schema))}, "is required");`);
            if (checks.length) body.push("else {", ...indent(checks), "}");
          }
        }
        if (s.additional) {
          const known = s.props.map((p) => `k === ${str(p.name)}`).join(" || ");
          body.push(
            "for (const k in x) {",
            ...(known ? [`  if (${known}) continue;`] : []),
            ...indent(this.report(s.additional, "x[k]", 'p + (/^[A-Za-z_$][\\w$]*$/.test(k) ? "." + k : "[" + JSON.stringify(k) + "]")', `${name}_value`)),
            "}",
          );
        }
        body.push("return ok;");
        return [head, ...indent(body), "}"];
      }
      case "array": {
        const t = s.tags;
        const body = [`if (!Array.isArray(x)) return miss(e, p, ${exp}, "must be an array");`, "let ok = true;"];
        if (t.minItems !== undefined) body.push(`if (x.length < ${t.minItems}) ok = miss(e, p, ${exp}, "must have at least ${plural(t.minItems, "item")}");`);
        if (t.maxItems !== undefined) body.push(`if (x.length > ${t.maxItems}) ok = miss(e, p, ${exp}, "must have at most ${plural(t.maxItems, "item")}");`);
        body.push(
          "for (let i = 0; i < x.length; i++) {",
          ...indent(this.report(s.items, "x[i]", 'p + "[" + i + "]"', `${name}_item`)),
          "}",
        );
        if (t.uniqueItems) body.push(`if (!unique(x)) ok = miss(e, p, ${exp}, "must not contain the same item twice");`);
        body.push("return ok;");
        return [head, ...indent(body), "}"];
      }
      case "tuple": {
        const n = s.items.length;
        const count =
          s.rest ? `at least ${s.required}` : s.required === n ? `exactly ${n}` : `${s.required} to ${n}`;
        const bad = [`x.length < ${s.required}`, ...(s.rest ? [] : [`x.length > ${n}`])];
        const body = [
          `if (!Array.isArray(x)) return miss(e, p, ${exp}, "must be an array");`,
          `if (${bad.join(" || ")}) return miss(e, p, ${exp}, "must have ${count} items");`,
          "let ok = true;",
        ];
        s.items.forEach((it, i) => {
          const checks = this.report(it, `x[${i}]`, `p + "[${i}]"`, `${name}_${i}`);
          if (!checks.length) return;
          if (i < s.required) body.push(...checks);
          else body.push(`if (x.length > ${i}) {`, ...indent(checks), "}");
        });
        if (s.rest) {
          body.push(
            `for (let i = ${n}; i < x.length; i++) {`,
            ...indent(this.report(s.rest, "x[i]", 'p + "[" + i + "]"', `${name}_rest`)),
            "}",
          );
        }
        body.push("return ok;");
        return [head, ...indent(body), "}"];
      }
      case "union": {
        if (s.discriminant) {
          const d = s.discriminant;
          const all = d.values.flat();
          const tag = access("x", d.prop);
          const cases = s.variants.flatMap((v, i) => [
            ...d.values[i].map((l) => `  case ${str(l)}:`),
            ...indent(this.variantReport(v, `${name}_${i}`), "    "),
          ]);
          const tagText = all.map((l) => str(l)).join(" | ");
          return [
            head,
            `  if (typeof x !== "object" || x === null || Array.isArray(x)) return miss(e, p, ${exp}, "must be an object");`,
            `  switch (${tag}) {`,
            ...cases,
            "    default:",
            `      return miss(e, p + ${str(pathStep(d.prop))}, ${str(tagText)}, ${str(`must be one of ${all.map((l) => str(l)).join(", ")}`)});`,
            "  }",
            "}",
          ];
        }
        const lits = s.variants.every((v) => v.kind === "literal");
        const msg = lits
          ? `must be one of ${s.variants.map((v) => str((v as { value: Literal }).value)).join(", ")}`
          : `must be ${s.variants.map((v) => this.text(v)).join(" or ")}`;
        return [head, `  return miss(e, p, ${exp}, ${str(msg)});`, "}"];
      }
      default:
        return [head, "  let ok = true;", ...indent(this.report(s, "x", "p", name)), "  return ok;", "}"];
    }
  }

  /** Inside a discriminated union's switch: report the one variant's failures. */
  private variantReport(v: Schema, hint: string): string[] {
    const f = this.fn(v, hint);
    return [`return v_${f}(x, p, e);`];
  }

  /**
   * `query_<T>` / `headers_<T>` (T the named type, else `route<id>`): strings by name →
   * coerced, checked object. One per type, like the body checks.
   */
  part(s: Schema, route: number, where: "query" | "headers"): string {
    const key = `${where}:${s.kind === "ref" ? s.id : JSON.stringify(s)}`;
    const known = this.fns.get(key);
    if (known) return known;
    const name = `${where}_${s.kind === "ref" ? this.names.get(s.id)! : `route${route}`}`;
    this.fns.set(key, name);
    const obj = this.deref(s);
    if (obj.kind !== "object") throw new Error(`${where} schema is not an object`);
    const body = ["const out = {};", "let ok = true;", "let v;"];
    for (const p of obj.props) {
      const key = where === "headers" ? p.name.toLowerCase() : p.name;
      const path = str(`${where}.${key}`);
      const flags = this.coercion(p.schema);
      body.push(`v = get(${str(key)});`);
      const checks = this.report(p.schema, "v", path, `${name}_${p.name}`);
      const value = flags ? [`v = coerce(v, ${flags});`] : [];
      const assign = `out[${str(key)}] = v;`;
      if (p.optional) body.push("if (v !== null) {", ...[...value, ...checks, assign].map((l) => "  " + l), "}");
      else {
        body.push(
          `if (v === null) ok = miss(e, ${path}, ${str(this.text(p.schema))}, "is required");`,
          "else {",
          ...[...value, ...checks, assign].map((l) => "  " + l),
          "}",
        );
      }
    }
    body.push("return out;");
    this.out.push(`// ${where}: ${comment(this.text(s))}`, `function ${name}(get, e) {`, ...body.map((l) => "  " + l), "}", "");
    return name;
  }

  /** `form_<T>` (T the named type, else `route<id>`): a form body's check. One per type. */
  form(s: Schema, route: number): string {
    const key = `form:${s.kind === "ref" ? s.id : JSON.stringify(s)}`;
    const known = this.fns.get(key);
    if (known) return known;
    const name = `form_${s.kind === "ref" ? this.names.get(s.id)! : `route${route}`}`;
    this.fns.set(key, name);
    const lines = formFunction(this, s, name, this.defs);
    this.out.push(`// form: ${comment(this.text(s))}`, ...lines, "");
    return name;
  }

  /** coerce() flags for a query/header value of this type. */
  coercion(s: Schema): number {
    const d = this.deref(s);
    switch (d.kind) {
      case "number":
        return COERCE_NUMBER;
      case "boolean":
        return COERCE_BOOLEAN;
      case "literal":
        return typeof d.value === "number" ? COERCE_NUMBER : typeof d.value === "boolean" ? COERCE_BOOLEAN : 0;
      case "union":
        return d.variants.reduce((f, v) => f | this.coercion(v), 0);
      default:
        return 0;
    }
  }

  private regex(source: string): string {
    let name = this.regexes.get(source);
    if (!name) {
      name = `re${this.regexes.size}`;
      this.regexes.set(source, name);
      this.constants.push(`const ${name} = new RegExp(${str(source)}, "u");`);
    }
    return name;
  }
}


interface Check {
  /** True when the value passes. */
  pass: string;
  /** True when it fails (the negation, written out for the reader). */
  fail: string;
  message: string;
}

function check(pass: string, fail: string, message: string): Check {
  return { pass, fail, message };
}

/** `x.name`, or `x["odd-key"]`. */
function access(x: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${x}.${key}` : `${x}[${str(key)}]`;
}


/** A JS identifier from a TypeScript type name: `Page<User>` → `Page_User`. */
export function identifier(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_$]+/g, "_").replace(/^_+|_+$/g, "") || "T";
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function str(v: Literal): string {
  return JSON.stringify(v);
}

function comment(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, "?").replace(/\*\//g, "* /");
}
