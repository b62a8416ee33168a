/**
 * Schema IR → `serializers.js`: per result type two functions, reused by every route that
 * returns it, and one `out<id>` per route (runtime/serialize.ts picks which of the two runs):
 *
 *   s_T(x)   the JSON text of x, written field by field
 *   p_T(x)   a plain copy of x with only T's fields, for JSON.stringify
 *
 * Either sends only the fields T declares (the response filter). A required field that is
 * undefined at run time is sent as null by both, so the two agree on every input.
 */
import { HEADER } from "../shared/generated.js";
import { derefSchema, schemaText, type Def, type Schema } from "./ir.js";
import { identifier, type DefNames } from "./validator.js";

/** Runtime helpers generated code imports (runtime/serialize.ts, through catzilla/internal). */
const HELPERS = ["jbool", "jnum", "jstr", "jval", "serialized"] as const;

export interface SerializedRoute {
  id: number;
  method: string;
  path: string;
  response: Schema;
}

export function emitSerializers(routes: SerializedRoute[], defs: (Def & { file: string })[], names: DefNames): string {
  const gen = new Generator(new Map(defs.map((d) => [d.id, d])), names);
  const exports: string[] = [];
  for (const r of routes) {
    const f = gen.fn(r.response, `route${r.id}_result`);
    exports.push(
      `// ${comment(`${r.method} ${r.path}`)}: ${comment(gen.text(r.response))}`,
      `export function out${r.id}(v) {`,
      `  return serialized(v, s_${f}, p_${f});`,
      "}",
      "",
    );
  }
  return [`// ${HEADER}`, `import { ${HELPERS.join(", ")} } from "catzilla/internal";`, "", ...gen.out, ...exports].join(
    "\n",
  );
}

class Generator {
  readonly out: string[] = [];
  private readonly fns = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    private readonly defs: Map<string, Def & { file: string }>,
    private readonly names: DefNames,
  ) {}

  text(s: Schema): string {
    return schemaText(s, (id) => this.defs.get(id)?.tsName ?? id);
  }

  private deref(s: Schema): Schema {
    return derefSchema(s, this.defs);
  }

  /** True when the value is written as is (no fields to pick inside it). */
  private scalar(s: Schema): boolean {
    const d = this.deref(s);
    if (d.kind === "union") return d.variants.every((v) => this.scalar(v));
    return !["object", "array", "tuple"].includes(d.kind);
  }

  fn(s: Schema, hint: string): string {
    const key = s.kind === "ref" ? `ref:${s.id}` : JSON.stringify(s);
    const known = this.fns.get(key);
    if (known) return known;
    let name = s.kind === "ref" ? this.names.get(s.id)! : identifier(hint);
    if (s.kind !== "ref") {
      for (let n = 2; this.used.has(name) || [...this.names.values()].includes(name); n++) name = `${identifier(hint)}_${n}`;
    }
    this.used.add(name);
    this.fns.set(key, name);
    const def = s.kind === "ref" ? this.defs.get(s.id) : undefined;
    const body = def ? def.schema : s;
    this.out.push(
      `// ${comment(def ? `${def.tsName} (${def.file})` : this.text(s))}`,
      ...this.textFn(name, body),
      ...this.pickFn(name, body),
      "",
    );
    return name;
  }

  /** An expression for the JSON text of `v`. */
  private write(s: Schema, v: string, hint: string): string {
    const d = this.deref(s);
    if (this.scalar(d)) {
      switch (d.kind) {
        case "string":
        case "template":
          return `jstr(${v})`;
        case "number":
          return `jnum(${v})`;
        case "boolean":
          return `jbool(${v})`;
        case "literal":
          return typeof d.value === "string" ? `jstr(${v})` : typeof d.value === "number" ? `jnum(${v})` : `jbool(${v})`;
        case "union": {
          const kinds = new Set(d.variants.map((x) => this.scalarKind(x)));
          if (kinds.size === 1 && kinds.has("string")) return `jstr(${v})`;
          if (kinds.size === 1 && kinds.has("number")) return `jnum(${v})`;
          return `jval(${v})`;
        }
        default:
          return `jval(${v})`;
      }
    }
    return `s_${this.fn(s, hint)}(${v})`;
  }

  /** "string" / "number" for scalars always written as one (literals included), else "other". */
  private scalarKind(s: Schema): "string" | "number" | "other" {
    const d = this.deref(s);
    if (d.kind === "string" || d.kind === "template" || (d.kind === "literal" && typeof d.value === "string")) return "string";
    if (d.kind === "number" || (d.kind === "literal" && typeof d.value === "number")) return "number";
    return "other";
  }

  /** An expression for the picked copy of `v` (scalars as they are; undefined → null as `write` does). */
  private pick(s: Schema, v: string, hint: string, required: boolean): string {
    if (this.scalar(s)) return required ? `${v} ?? null` : v;
    return `p_${this.fn(s, hint)}(${v})`;
  }

  private textFn(name: string, s: Schema): string[] {
    const head = `function s_${name}(x) {`;
    switch (s.kind) {
      case "object": {
        const guard = '  if (typeof x !== "object" || x === null) return jval(x);';
        if (s.props.length === 0) return [head, guard, '  return "{}";', "}"];
        if (!s.props[0].optional) {
          const parts = s.props.map((p, i) => {
            const key = `${i ? "," : ""}${JSON.stringify(p.name)}:`;
            const val = this.write(p.schema, access("x", p.name), `${name}_${p.name}`);
            return p.optional
              ? `(${access("x", p.name)} === undefined ? "" : ${str(key)} + ${val})`
              : `${str(key)} + ${val}`;
          });
          // The opening brace joins the first key's literal: `'{"id":' + …`.
          parts[0] = parts[0].replace(/^"/, '"{');
          return [head, guard, `  return ${parts.join(" +\n    ")} + "}";`, "}"];
        }
        // Optional fields first: collect with leading commas, then drop the first one.
        const lines = [head, guard, '  let s = "";'];
        for (const p of s.props) {
          const add = `s += ${str(`,${JSON.stringify(p.name)}:`)} + ${this.write(p.schema, access("x", p.name), `${name}_${p.name}`)};`;
          lines.push(p.optional ? `  if (${access("x", p.name)} !== undefined) ${add}` : `  ${add}`);
        }
        lines.push('  return "{" + s.slice(1) + "}";', "}");
        return lines;
      }
      case "array":
        return [
          head,
          "  if (!Array.isArray(x)) return jval(x);",
          '  let s = "[";',
          "  for (let i = 0; i < x.length; i++) {",
          '    if (i > 0) s += ",";',
          `    s += ${this.write(s.items, "x[i]", `${name}_item`)};`,
          "  }",
          '  return s + "]";',
          "}",
        ];
      case "tuple": {
        const lines = [head, "  if (!Array.isArray(x)) return jval(x);", '  let s = "[";'];
        s.items.forEach((it, i) => {
          const add = `s += ${i ? '"," + ' : ""}${this.write(it, `x[${i}]`, `${name}_${i}`)};`;
          lines.push(i < s.required ? `  ${add}` : `  if (x.length > ${i}) ${add}`);
        });
        if (s.rest) {
          lines.push(
            `  for (let i = ${s.items.length}; i < x.length; i++) s += ${s.items.length ? '"," + ' : '(i > 0 ? "," : "") + '}${this.write(s.rest, "x[i]", `${name}_rest`)};`,
          );
        }
        lines.push('  return s + "]";', "}");
        return lines;
      }
      case "union":
        return [head, ...this.unionBody(s, (v, hint) => this.write(v, "x", hint), name, "jval(x)"), "}"];
      default:
        return [head, `  return ${this.write(s, "x", name)};`, "}"];
    }
  }

  private pickFn(name: string, s: Schema): string[] {
    const head = `function p_${name}(x) {`;
    switch (s.kind) {
      case "object": {
        const fields = s.props.map((p) => {
          const v = access("x", p.name);
          return `${propKey(p.name)}: ${this.pick(p.schema, v, `${name}_${p.name}`, !p.optional)}`;
        });
        return [
          head,
          '  if (typeof x !== "object" || x === null) return x ?? null;',
          `  return { ${fields.join(", ")} };`,
          "}",
        ];
      }
      case "array":
        if (this.scalar(s.items)) return [head, "  return x;", "}"];
        return [
          head,
          "  if (!Array.isArray(x)) return x ?? null;",
          "  const out = new Array(x.length);",
          `  for (let i = 0; i < x.length; i++) out[i] = ${this.pick(s.items, "x[i]", `${name}_item`, true)};`,
          "  return out;",
          "}",
        ];
      case "tuple": {
        const all = [...s.items, ...(s.rest ? [s.rest] : [])];
        if (all.every((it) => this.scalar(it))) return [head, "  return x;", "}"];
        const lines = [head, "  if (!Array.isArray(x)) return x ?? null;", "  const out = x.slice();"];
        s.items.forEach((it, i) => {
          if (!this.scalar(it)) lines.push(`  if (x.length > ${i}) out[${i}] = ${this.pick(it, `x[${i}]`, `${name}_${i}`, true)};`);
        });
        if (s.rest && !this.scalar(s.rest)) {
          lines.push(`  for (let i = ${s.items.length}; i < x.length; i++) out[i] = ${this.pick(s.rest, "x[i]", `${name}_rest`, true)};`);
        }
        lines.push("  return out;", "}");
        return lines;
      }
      case "union":
        return [head, ...this.unionBody(s, (v, hint) => this.pick(v, "x", hint, false), name, "x"), "}"];
      default:
        return [head, "  return x;", "}"];
    }
  }

  /**
   * A union's body: a discriminated one switches on its tag; otherwise its one structured
   * variant (object or array) is told apart from the scalars by typeof.
   */
  private unionBody(
    s: Extract<Schema, { kind: "union" }>,
    expr: (v: Schema, hint: string) => string,
    name: string,
    fallback: string,
  ): string[] {
    if (s.discriminant) {
      const d = s.discriminant;
      return [
        '  if (typeof x !== "object" || x === null) return ' + fallback + ";",
        `  switch (${access("x", d.prop)}) {`,
        ...s.variants.flatMap((v, i) => [
          ...d.values[i].map((l) => `    case ${JSON.stringify(l)}:`),
          `      return ${expr(v, `${name}_${i}`)};`,
        ]),
        "    default:",
        `      return ${fallback};`,
        "  }",
      ];
    }
    const structured = s.variants.filter((v) => !this.scalar(v));
    if (structured.length === 0) return [`  return ${fallback};`];
    const one = structured[0];
    const isArray = this.deref(one).kind !== "object";
    const test = isArray ? "Array.isArray(x)" : 'typeof x === "object" && x !== null && !Array.isArray(x)';
    return [`  return ${test} ? ${expr(one, `${name}_${s.variants.indexOf(one)}`)} : ${fallback};`];
  }
}

function access(x: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${x}.${key}` : `${x}[${JSON.stringify(key)}]`;
}

function propKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

function str(s: string): string {
  return JSON.stringify(s);
}

function comment(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, "?").replace(/\*\//g, "* /");
}
