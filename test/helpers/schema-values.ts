/**
 * Random values for the property tests of the generated validators and serializers: valid
 * values of a JSON Schema (as catzilla-compile writes it into openapi.json), the same with
 * extra fields the schema does not declare, and single-point mutations that must fail at a
 * known path. Deterministic for a seed.
 */

export type JsonSchema = Record<string, unknown>;

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FORMAT_SAMPLES: Record<string, string[]> = {
  email: ["a@b.co", "ada.lovelace+x@example.org"],
  uuid: ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-4000-8000-000000000000"],
  uri: ["https://example.com/a?b=1", "urn:isbn:0451450523"],
  date: ["2024-02-29", "1999-12-31"],
  "date-time": ["2024-02-29T12:00:00Z", "2020-01-01T00:00:00.123+05:30"],
  time: ["12:00:00Z", "23:59:59.5-01:00"],
  ipv4: ["10.0.0.1", "255.255.255.255"],
  ipv6: ["::1", "2001:db8::8a2e:370:7334"],
};

/** Values for the `pattern`s the fixtures use (a general regex inverter is out of scope). */
const PATTERN_SAMPLES: [RegExp, (r: () => number) => string][] = [
  [/^\^user_/, (r) => `user_${Math.floor(r() * 1000) - 500}`],
  [/^\^\[A-Z\]\{3\}\$$/, (r) => Array.from({ length: 3 }, () => String.fromCharCode(65 + Math.floor(r() * 26))).join("")],
];

const TEXT = ["", "a", "hello", 'quo"te', "back\\slash", "new\nline", "tab\t", "emoji 🐱", "\u0001ctl", "ünï"];

export class Values {
  constructor(
    private readonly components: Record<string, JsonSchema>,
    private readonly r: () => number,
  ) {}

  private pick<T>(list: T[]): T {
    return list[Math.floor(this.r() * list.length)];
  }

  resolve(s: JsonSchema): JsonSchema {
    for (let i = 0; i < 32 && typeof s.$ref === "string"; i++) {
      s = this.components[(s.$ref as string).split("/").pop()!];
    }
    return s;
  }

  /** A valid value; `depth` bounds recursion (recursive types choose their smallest branch). */
  valid(schema: JsonSchema, depth = 0): unknown {
    const s = this.resolve(schema);
    if ("const" in s) return s.const;
    if (Array.isArray(s.enum)) return this.pick(s.enum);
    if (Array.isArray(s.anyOf ?? s.oneOf)) {
      const vs = (s.anyOf ?? s.oneOf) as JsonSchema[];
      return this.valid(depth > 3 ? vs.find((v) => this.resolve(v).type !== "object") ?? vs[0] : this.pick(vs), depth + 1);
    }
    switch (s.type) {
      case "string": {
        if (typeof s.format === "string") return this.pick(FORMAT_SAMPLES[s.format]);
        if (typeof s.pattern === "string") {
          const gen = PATTERN_SAMPLES.find(([re]) => re.test(s.pattern as string));
          if (!gen) throw new Error(`no sample for pattern ${s.pattern}`);
          return gen[1](this.r);
        }
        const min = (s.minLength as number) ?? 0;
        const max = (s.maxLength as number) ?? 12;
        let t = this.pick(TEXT);
        while (t.length < min) t += "x";
        return t.slice(0, Math.max(min, Math.min(max, t.length)));
      }
      case "integer":
      case "number": {
        const lo = (s.minimum as number) ?? ((s.exclusiveMinimum as number) ?? -1000) + 1;
        const hi = (s.maximum as number) ?? ((s.exclusiveMaximum as number) ?? 1000) - 1;
        const step = (s.multipleOf as number) ?? (s.type === "integer" ? 1 : 0);
        if (step) {
          const k = Math.floor(lo / step) + 1 + Math.floor(this.r() * Math.max(1, Math.floor((hi - lo) / step) - 1));
          return Math.min(hi, k * step);
        }
        return this.r() < 0.2 ? Math.round(lo) : lo + Math.floor(this.r() * (hi - lo) * 100) / 100;
      }
      case "boolean":
        return this.r() < 0.5;
      case "null":
        return null;
      case "array": {
        if (Array.isArray(s.prefixItems)) {
          const items = s.prefixItems as JsonSchema[];
          const n = (s.minItems as number) + Math.floor(this.r() * (items.length - (s.minItems as number) + 1));
          return items.slice(0, n).map((it) => this.valid(it, depth + 1));
        }
        const min = (s.minItems as number) ?? 0;
        const max = Math.min((s.maxItems as number) ?? 4, depth > 2 ? min : 4);
        const n = min + Math.floor(this.r() * (max - min + 1));
        const out: unknown[] = [];
        for (let i = 0; out.length < n && i < n * 10; i++) {
          const v = this.valid(s.items as JsonSchema, depth + 1);
          if (!s.uniqueItems || !out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
        }
        return out;
      }
      case "object": {
        const o: Record<string, unknown> = {};
        const props = (s.properties ?? {}) as Record<string, JsonSchema>;
        const required = new Set((s.required ?? []) as string[]);
        for (const [k, ps] of Object.entries(props)) {
          if (required.has(k) || this.r() < 0.6) o[k] = this.valid(ps, depth + 1);
        }
        if (s.additionalProperties && typeof s.additionalProperties === "object") {
          for (const k of ["k1", "odd key"].slice(0, Math.floor(this.r() * 3))) o[k] = this.valid(s.additionalProperties as JsonSchema, depth + 1);
        }
        return o;
      }
      default:
        return this.pick([1, "x", true, null, { a: 1 }]); // {}: anything
    }
  }

  /** `v` with fields the schema does not declare added to every object that has a fixed set of them. */
  withExtras(schema: JsonSchema, v: unknown): unknown {
    const s = this.resolve(schema);
    const variants = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
    if (variants) return v; // which variant matched is the validator's business
    if (s.type === "array" && Array.isArray(v)) {
      if (Array.isArray(s.prefixItems)) return v.map((x, i) => this.withExtras((s.prefixItems as JsonSchema[])[i] ?? {}, x));
      return v.map((x) => this.withExtras(s.items as JsonSchema, x));
    }
    if (s.type === "object" && v && typeof v === "object" && !s.additionalProperties) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = this.withExtras(((s.properties ?? {}) as Record<string, JsonSchema>)[k] ?? {}, x);
      o.passwordHash = "secret";
      return o;
    }
    return v;
  }

  /**
   * One leaf (or container) of `v` replaced by a value of the wrong JSON type, with the path
   * the validator must report (`$.a.b[2]`); null when no position outside a union exists.
   */
  mutate(schema: JsonSchema, v: unknown): { value: unknown; path: string } | null {
    const spots: { path: (string | number)[]; schema: JsonSchema }[] = [];
    const walk = (sch: JsonSchema, x: unknown, at: (string | number)[]) => {
      const s = this.resolve(sch);
      if (s.anyOf || s.oneOf || Object.keys(s).length === 0) return;
      spots.push({ path: at, schema: s });
      if (Array.isArray(x)) {
        x.forEach((it, i) => {
          const itemSchema = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[])[i] : (s.items as JsonSchema);
          if (itemSchema) walk(itemSchema, it, [...at, i]);
        });
      } else if (x && typeof x === "object") {
        for (const [k, it] of Object.entries(x)) {
          const ps = ((s.properties ?? {}) as Record<string, JsonSchema>)[k] ?? (s.additionalProperties as JsonSchema | undefined);
          if (ps && typeof ps === "object") walk(ps, it, [...at, k]);
        }
      }
    };
    walk(schema, v, []);
    if (spots.length === 0) return null;
    const spot = this.pick(spots);
    const wrong = wrongValue(spot.schema);
    const value = setAt(v, spot.path, wrong);
    return { value, path: "$" + spot.path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("") };
  }
}

/** A value no schema of this type accepts. */
function wrongValue(s: JsonSchema): unknown {
  if ("const" in s) return typeof s.const === "string" ? 12345 : "not-the-constant";
  if (Array.isArray(s.enum)) return { notInEnum: true };
  switch (s.type) {
    case "string":
      return 42;
    case "integer":
    case "number":
      return "42";
    case "boolean":
      return "true";
    case "null":
      return 0;
    case "array":
      return { length: 0 };
    case "object":
      return [1, 2];
    default:
      return Symbol("never");
  }
}

function setAt(v: unknown, path: (string | number)[], to: unknown): unknown {
  if (path.length === 0) return to;
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) };
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), to);
  return copy;
}
