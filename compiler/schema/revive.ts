/**
 * Date revivers for validators.js: a body type with `Date` in it is checked as RFC 3339
 * strings (JSON has no dates), then `r_T(x)` turns exactly those strings into Date objects,
 * in place, so the handler gets what its type says. Types without a Date get no reviver.
 */
import type { Def, Schema } from "./ir.js";
import { identifier, type DefNames } from "./validator.js";

export class Revivers {
  /** Emitted functions, in order of first use. */
  readonly out: string[] = [];
  private readonly fns = new Map<string, string>();
  private readonly dated = new Map<string, boolean>();

  constructor(
    private readonly defs: Map<string, Def>,
    private readonly names: DefNames,
    /** The validators' yes/no function of a schema (for unions: which variant a value is). */
    private readonly isFn: (s: Schema, hint: string) => string,
  ) {}

  /** The name of `s`'s reviver, or null when no Date is in it. */
  fn(s: Schema, hint: string): string | null {
    if (!this.hasDate(s)) return null;
    const key = s.kind === "ref" ? `ref:${s.id}` : JSON.stringify(s);
    const known = this.fns.get(key);
    if (known) return known;
    const name = `r_${s.kind === "ref" ? this.names.get(s.id)! : identifier(hint)}`;
    this.fns.set(key, name);
    const body = s.kind === "ref" ? this.defs.get(s.id)!.schema : s;
    this.out.push(`function ${name}(x) {`, ...this.body(body, hint).map((l) => "  " + l), "}", "");
    return name;
  }

  /** Whether a Date can be anywhere in a value of `s` (recursive types terminate on refs). */
  private hasDate(s: Schema, seen = new Set<string>()): boolean {
    switch (s.kind) {
      case "date":
        return true;
      case "ref": {
        const cached = this.dated.get(s.id);
        if (cached !== undefined) return cached;
        if (seen.has(s.id)) return false;
        seen.add(s.id);
        const d = this.defs.get(s.id);
        const has = d ? this.hasDate(d.schema, seen) : false;
        if (seen.size === 1) this.dated.set(s.id, has);
        return has;
      }
      case "array":
        return this.hasDate(s.items, seen);
      case "tuple":
        return [...s.items, ...(s.rest ? [s.rest] : [])].some((x) => this.hasDate(x, seen));
      case "object":
        return s.props.some((p) => this.hasDate(p.schema, seen)) || (!!s.additional && this.hasDate(s.additional, seen));
      case "union":
        return s.variants.some((v) => this.hasDate(v, seen));
      default:
        return false;
    }
  }

  /** `v` revived, as an expression (`v` itself when nothing in it is a Date). */
  private revive(s: Schema, v: string, hint: string): string {
    if (s.kind === "date") return `new Date(${v})`;
    const f = this.fn(s, hint);
    return f ? `${f}(${v})` : v;
  }

  private body(s: Schema, hint: string): string[] {
    switch (s.kind) {
      case "object": {
        const lines: string[] = [];
        for (const p of s.props) {
          if (!this.hasDate(p.schema)) continue;
          const v = /^[A-Za-z_$][\w$]*$/.test(p.name) ? `x.${p.name}` : `x[${JSON.stringify(p.name)}]`;
          lines.push(`if (${v} !== undefined) ${v} = ${this.revive(p.schema, v, `${hint}_${p.name}`)};`);
        }
        if (s.additional && this.hasDate(s.additional)) {
          const known = s.props.map((p) => `k === ${JSON.stringify(p.name)}`).join(" || ");
          lines.push(`for (const k in x) if (!(${known || "false"})) x[k] = ${this.revive(s.additional, "x[k]", `${hint}_value`)};`);
        }
        return [...lines, "return x;"];
      }
      case "array":
        return [`for (let i = 0; i < x.length; i++) x[i] = ${this.revive(s.items, "x[i]", `${hint}_item`)};`, "return x;"];
      case "tuple": {
        const lines = s.items.flatMap((it, i) =>
          this.hasDate(it) ? [`if (x.length > ${i}) x[${i}] = ${this.revive(it, `x[${i}]`, `${hint}_${i}`)};`] : [],
        );
        if (s.rest && this.hasDate(s.rest)) {
          lines.push(`for (let i = ${s.items.length}; i < x.length; i++) x[i] = ${this.revive(s.rest, "x[i]", `${hint}_rest`)};`);
        }
        return [...lines, "return x;"];
      }
      case "union": {
        // The value already passed the union's check: revive it as the variant it matches.
        const lines = s.variants.flatMap((v, i) =>
          this.hasDate(v) ? [`if (${this.isFn(v, `${hint}_${i}`)}(x)) return ${this.revive(v, "x", `${hint}_${i}`)};`] : [],
        );
        return [...lines, "return x;"];
      }
      default:
        return [`return ${this.revive(s, "x", hint)};`];
    }
  }
}
