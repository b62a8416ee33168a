/**
 * TypeScript type → schema IR (ir.ts), through the type checker. Named types become
 * definitions (one per interface, alias, enum or generic instantiation) referenced by id,
 * so recursive types terminate and each validator is generated once.
 *
 * What JSON cannot hold (functions, symbols, bigints, classes with private state, Map and
 * the like) is a `Problem`: for a request type the caller reports a compile error, for a
 * response type it falls back to JSON.stringify.
 */
import { ts } from "ts-morph";
import type { ArrayTags, Def, Literal, NumberTags, Prop, Schema, StringTags } from "./ir.js";

/** Why a type has no schema, and where (the declaration that brought it in, when known). */
export class Problem extends Error {
  constructor(
    message: string,
    readonly typeName: string,
    readonly at: ts.Node | undefined,
  ) {
    super(message);
  }
}

/** Tag keyword → which tag set it belongs to (runtime/schema-types.ts). */
const STRING_TAGS = new Set(["minLength", "maxLength", "pattern", "format"]);
const NUMBER_TAGS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]);
const ARRAY_TAGS = new Set(["minItems", "maxItems", "uniqueItems"]);

/** Regex sources for the placeholders of a template literal type. */
const TEMPLATE_HOLES = {
  number: "-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?",
  string: "[\\s\\S]*",
  boolean: "(?:true|false)",
} as const;

export class SchemaReader {
  readonly defs = new Map<string, Def>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly program: ts.Program,
    /** Reading a form body: `File` and `Blob` are file parts (JSON has no files). */
    private readonly files = false,
  ) {}

  /** The schema of `type`, seen at `site` (for property types and diagnostics). */
  read(type: ts.Type, site: ts.Node): Schema {
    return this.convert(type, site, true);
  }

  private convert(t: ts.Type, site: ts.Node, named: boolean): Schema {
    const f = t.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: "any" };
    // Before the named-type table: @types/node declares File as a class, not in the lib.
    const sym = f & ts.TypeFlags.Object ? t.getSymbol() : undefined;
    if (this.files && sym && isFileClass(sym, this.program)) return { kind: "file", blob: sym.getName() === "Blob" };
    if (named) {
      const ref = this.named(t, site);
      if (ref) return ref;
    }
    if (f & ts.TypeFlags.Boolean) return { kind: "boolean" };
    if (f & ts.TypeFlags.EnumLiteral && t.isUnion()) return this.union(t, site);
    if (f & ts.TypeFlags.StringLiteral) return { kind: "literal", value: (t as ts.StringLiteralType).value };
    if (f & ts.TypeFlags.NumberLiteral) return { kind: "literal", value: (t as ts.NumberLiteralType).value };
    if (f & ts.TypeFlags.BooleanLiteral) return { kind: "literal", value: this.show(t) === "true" };
    if (f & ts.TypeFlags.String) return { kind: "string", tags: {} };
    if (f & ts.TypeFlags.Number) return { kind: "number", integer: false, tags: {} };
    if (f & ts.TypeFlags.Null) return { kind: "null" };
    if (f & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) {
      throw new Problem("undefined has no JSON form outside an optional property", this.show(t), site);
    }
    if (f & ts.TypeFlags.TemplateLiteral) return this.template(t as ts.TemplateLiteralType, site);
    if (f & (ts.TypeFlags.ESSymbol | ts.TypeFlags.UniqueESSymbol)) throw new Problem("a symbol", this.show(t), site);
    if (f & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) {
      throw new Problem("a bigint (JSON.stringify throws on it)", this.show(t), site);
    }
    if (f & ts.TypeFlags.Never) throw new Problem("never has no values", "never", site);
    if (f & ts.TypeFlags.NonPrimitive) return { kind: "any" }; // `object`
    if (f & ts.TypeFlags.TypeParameter) return { kind: "any" };
    if (t.isUnion()) return this.union(t, site);
    if (t.isIntersection()) return this.intersection(t, site);
    if (f & ts.TypeFlags.Object) return this.object(t as ts.ObjectType, site);
    throw new Problem("a type the schema generator does not know", this.show(t), site);
  }

  /** A ref to the definition of a named type, created (once) on first sight. */
  private named(t: ts.Type, site: ts.Node): Schema | null {
    const key = this.defKey(t);
    if (!key) return null;
    const existing = this.defs.get(key.id);
    if (existing) return { kind: "ref", id: key.id };
    const def: Def = { id: key.id, tsName: key.tsName, schema: { kind: "any" } };
    const description = key.symbol ? docOf(key.symbol, this.checker) : undefined;
    if (description) def.description = description;
    this.defs.set(key.id, def); // before converting: a recursive type refers back to it
    try {
      def.schema = this.convert(t, key.decl ?? site, false);
    } catch (err) {
      this.defs.delete(key.id);
      throw err;
    }
    return { kind: "ref", id: key.id };
  }

  private defKey(t: ts.Type): { id: string; tsName: string; symbol?: ts.Symbol; decl?: ts.Node } | null {
    const alias = t.aliasSymbol;
    if (alias && this.isUserDecl(alias)) {
      const args = t.aliasTypeArguments ?? [];
      return this.key(alias, args);
    }
    if (!(t.flags & ts.TypeFlags.Object) && !(t.flags & ts.TypeFlags.EnumLiteral && t.isUnion())) return null;
    const sym = t.getSymbol();
    if (!sym || !(sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum))) return null;
    if (!this.isUserDecl(sym)) return null;
    const args = t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
      ? this.checker.getTypeArguments(t as ts.TypeReference)
      : [];
    return this.key(sym, args);
  }

  private key(sym: ts.Symbol, args: readonly ts.Type[]): { id: string; tsName: string; symbol: ts.Symbol; decl?: ts.Node } {
    const decl = sym.declarations?.[0];
    const file = decl ? decl.getSourceFile().fileName : "?";
    const name = sym.getName();
    const argText = args.length ? `<${args.map((a) => this.show(a)).join(", ")}>` : "";
    return { id: `${file}#${name}${argText}`, tsName: name + argText, symbol: sym, decl };
  }

  /** Declared by the app or a package, not by TypeScript's lib or catzilla itself. */
  private isUserDecl(sym: ts.Symbol): boolean {
    const decl = sym.declarations?.[0];
    if (!decl) return false;
    const sf = decl.getSourceFile();
    if (this.program.isSourceFileDefaultLibrary(sf)) return false;
    return !/[\\/]runtime[\\/]schema-types\.(d\.)?ts$/.test(sf.fileName);
  }

  private union(t: ts.UnionType, site: ts.Node): Schema {
    const members = t.types.filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    const variants: Schema[] = [];
    const trueFalse = members.filter((m) => m.flags & ts.TypeFlags.BooleanLiteral);
    const bothBools = trueFalse.length === 2;
    if (bothBools) variants.push({ kind: "boolean" });
    for (const m of members) {
      if (bothBools && m.flags & ts.TypeFlags.BooleanLiteral) continue;
      variants.push(this.convert(m, site, true));
    }
    if (variants.length === 0) throw new Problem("only undefined", this.show(t), site);
    // `T | null` reads as written: the checker lists null first, people write it last.
    variants.sort((a, b) => (a.kind === "null" ? 1 : 0) - (b.kind === "null" ? 1 : 0));
    if (variants.length === 1) return variants[0];
    return { kind: "union", variants, discriminant: this.discriminant(variants) };
  }

  /** A property that is a literal in every variant, with no value shared by two of them. */
  private discriminant(variants: Schema[]): { prop: string; values: Literal[][] } | null {
    const objects = variants.map((v) => this.resolveObject(v));
    if (objects.some((o) => o === null)) return null;
    const first = objects[0]!;
    for (const p of first.props) {
      if (p.optional) continue;
      const values: Literal[][] = [];
      const seen = new Set<string>();
      let ok = true;
      for (const o of objects) {
        const q = o!.props.find((x) => x.name === p.name && !x.optional);
        const lits = q ? literalsOf(q.schema, (id) => this.defs.get(id)?.schema) : null;
        if (!lits || lits.some((l) => seen.has(JSON.stringify(l)))) {
          ok = false;
          break;
        }
        for (const l of lits) seen.add(JSON.stringify(l));
        values.push(lits);
      }
      if (ok) return { prop: p.name, values };
    }
    return null;
  }

  private resolveObject(s: Schema): Extract<Schema, { kind: "object" }> | null {
    for (let i = 0; i < 16 && s.kind === "ref"; i++) s = this.defs.get(s.id)?.schema ?? { kind: "any" };
    return s.kind === "object" ? s : null;
  }

  private intersection(t: ts.IntersectionType, site: ts.Node): Schema {
    const tags: Record<string, unknown> = {};
    const rest: ts.Type[] = [];
    for (const m of t.types) {
      const tag = this.tagOf(m);
      if (tag) Object.assign(tags, tag);
      else rest.push(m);
    }
    const primitives = rest.filter((m) => !(m.flags & ts.TypeFlags.Object));
    let base: Schema;
    // `string & Brand` (a foreign brand object next to a primitive): the primitive is what JSON holds.
    if (primitives.length === 1) base = this.convert(primitives[0], site, true);
    else if (rest.length === 1) base = this.convert(rest[0], site, true);
    else if (primitives.length === 0 && rest.length > 0) base = this.object(t as unknown as ts.ObjectType, site);
    else throw new Problem("an intersection the schema generator cannot merge", this.show(t), site);
    if (base.kind === "ref" && Object.keys(tags).length > 0) base = this.convert(rest[0] ?? primitives[0], site, false);
    return this.applyTags(base, tags, t, site);
  }

  /** The keyword/value pairs of a catzilla tag type (`MinLength<1>` → { minLength: 1 }), or null. */
  private tagOf(m: ts.Type): Record<string, unknown> | null {
    if (!(m.flags & ts.TypeFlags.Object)) return null;
    const props = this.checker.getPropertiesOfType(m);
    if (props.length === 0) return null;
    const out: Record<string, unknown> = {};
    for (const p of props) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const owner = decl?.parent;
      if (!owner || !ts.isInterfaceDeclaration(owner) || owner.name.text !== "Tag" || !/schema-types\.(d\.)?ts$/.test(owner.getSourceFile().fileName)) {
        return null;
      }
      const inner = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(p));
      for (const kv of this.checker.getPropertiesOfType(inner)) {
        const v = this.checker.getTypeOfSymbol(kv);
        out[kv.getName()] = v.isLiteral() ? v.value : v.flags & ts.TypeFlags.BooleanLiteral ? this.show(v) === "true" : undefined;
      }
    }
    return out;
  }

  private applyTags(base: Schema, tags: Record<string, unknown>, t: ts.Type, site: ts.Node): Schema {
    const keys = Object.keys(tags);
    if (keys.length === 0) return base;
    const wrong = (k: string) =>
      new Problem(`the tag ${k} does not apply to ${base.kind === "ref" ? "this type" : base.kind}`, this.show(t), site);
    if (base.kind === "string") {
      const s: StringTags = { ...base.tags };
      for (const k of keys) {
        if (!STRING_TAGS.has(k)) throw wrong(k);
        (s as Record<string, unknown>)[k] = tags[k];
      }
      if (s.pattern !== undefined) {
        try {
          new RegExp(s.pattern, "u");
        } catch (err) {
          throw new Problem(`Pattern<${JSON.stringify(s.pattern)}> is not a valid regular expression: ${(err as Error).message}`, this.show(t), site);
        }
      }
      return { kind: "string", tags: s };
    }
    if (base.kind === "number") {
      const n: NumberTags = { ...base.tags };
      let integer = base.integer;
      for (const k of keys) {
        if (k === "type" && tags[k] === "integer") integer = true;
        else if (NUMBER_TAGS.has(k)) (n as Record<string, unknown>)[k] = tags[k];
        else throw wrong(k);
      }
      return { kind: "number", integer, tags: n };
    }
    if (base.kind === "array") {
      const a: ArrayTags = { ...base.tags };
      for (const k of keys) {
        if (!ARRAY_TAGS.has(k)) throw wrong(k);
        (a as Record<string, unknown>)[k] = tags[k];
      }
      return { kind: "array", items: base.items, tags: a };
    }
    throw wrong(keys[0]);
  }

  private template(t: ts.TemplateLiteralType, site: ts.Node): Schema {
    let re = escapeRe(t.texts[0]);
    for (let i = 0; i < t.types.length; i++) {
      re += this.hole(t.types[i], site) + escapeRe(t.texts[i + 1]);
    }
    return { kind: "template", pattern: `^${re}$`, text: this.show(t) };
  }

  private hole(h: ts.Type, site: ts.Node): string {
    if (h.flags & ts.TypeFlags.Number) return TEMPLATE_HOLES.number;
    if (h.flags & ts.TypeFlags.String) return TEMPLATE_HOLES.string;
    if (h.flags & ts.TypeFlags.Boolean) return TEMPLATE_HOLES.boolean;
    if (h.isStringLiteral() || h.isNumberLiteral()) return escapeRe(String(h.value));
    if (h.isUnion()) return `(?:${h.types.map((m) => this.hole(m, site)).join("|")})`;
    throw new Problem("a template literal hole the generator cannot match", this.show(h), site);
  }

  private object(t: ts.ObjectType, site: ts.Node): Schema {
    const checker = this.checker;
    if (checker.isArrayType(t)) {
      return { kind: "array", items: this.element(checker.getTypeArguments(t as ts.TypeReference)[0], site), tags: {} };
    }
    if (checker.isTupleType(t)) return this.tuple(t as ts.TupleTypeReference, site);
    const sym = t.getSymbol();
    const lib = sym?.declarations?.[0] && this.program.isSourceFileDefaultLibrary(sym.declarations[0].getSourceFile());
    if (lib && sym!.getName() === "Date") return { kind: "date" };
    if (checker.getSignaturesOfType(t, ts.SignatureKind.Call).length > 0) {
      throw new Problem("a function", this.show(t), site);
    }
    if (lib && sym && !(sym.flags & ts.SymbolFlags.TypeLiteral) && sym.getName() !== "__object" && sym.getName() !== "Object") {
      throw new Problem(`a ${sym.getName()}, which JSON.stringify does not represent`, this.show(t), site);
    }
    if (sym && sym.flags & ts.SymbolFlags.Class) this.assertPlainClass(sym, t, site);
    const props: Prop[] = [];
    for (const p of checker.getPropertiesOfType(t)) {
      const name = p.getName();
      if (name.startsWith("__@") || name.startsWith("__#")) continue; // symbol keys, #private: never JSON
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const at = decl ?? site;
      const pt = checker.getTypeOfSymbolAtLocation(p, site);
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0 || acceptsUndefined(pt);
      if (p.flags & ts.SymbolFlags.Method) throw new Problem(`a method (${name})`, this.show(t), at);
      const schema = this.element(pt, at);
      const prop: Prop = { name, schema, optional };
      const doc = docOf(p, checker);
      if (doc) prop.description = doc;
      props.push(prop);
    }
    const index = checker.getIndexInfosOfType(t).find(
      (i) => i.keyType.flags & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.TemplateLiteral),
    );
    const additional = index ? this.element(index.type, index.declaration ?? site) : null;
    return { kind: "object", props, additional };
  }

  /** A property's or element's type: `undefined` in it means "may be absent", not a value. */
  private element(t: ts.Type, site: ts.Node): Schema {
    if (t.isUnion() && !t.aliasSymbol && t.types.some((m) => m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void))) {
      const rest = t.types.filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
      if (rest.length === 0) throw new Problem("undefined has no JSON form", this.show(t), site);
      if (rest.length === 1) return this.convert(rest[0], site, true);
      return this.union(t, site);
    }
    return this.convert(t, site, true);
  }

  private tuple(t: ts.TupleTypeReference, site: ts.Node): Schema {
    const args = this.checker.getTypeArguments(t);
    const flags = t.target.elementFlags;
    const items: Schema[] = [];
    let required = 0;
    let rest: Schema | null = null;
    args.forEach((a, i) => {
      if (flags[i] & ts.ElementFlags.Variable) rest = this.element(a, site);
      else {
        items.push(this.element(a, site));
        if (flags[i] & ts.ElementFlags.Required) required = items.length;
      }
    });
    return { kind: "tuple", items, required, rest };
  }

  private assertPlainClass(sym: ts.Symbol, t: ts.Type, site: ts.Node): void {
    for (const d of sym.declarations ?? []) {
      if (!ts.isClassDeclaration(d) && !ts.isClassExpression(d)) continue;
      for (const m of d.members) {
        const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) : undefined;
        const hidden =
          (m.name && ts.isPrivateIdentifier(m.name)) ||
          mods?.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword);
        if (hidden) throw new Problem("a class with private state", this.show(t), m);
      }
    }
  }

  private show(t: ts.Type): string {
    return this.checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation);
  }
}

/**
 * The global `File` or `Blob`: declared by TypeScript's DOM lib, by @types/node (buffer) or
 * by undici's types, whichever the app's configuration brings in.
 */
function isFileClass(sym: ts.Symbol, program: ts.Program): boolean {
  const name = sym.getName();
  if (name !== "File" && name !== "Blob") return false;
  return (sym.declarations ?? []).some((d) => {
    const sf = d.getSourceFile();
    return program.isSourceFileDefaultLibrary(sf) || /[\\/]node_modules[\\/](@types[\\/]node|undici-types)[\\/]/.test(sf.fileName);
  });
}

function acceptsUndefined(t: ts.Type): boolean {
  return t.isUnion() && t.types.some((m) => m.flags & ts.TypeFlags.Undefined);
}

/** Every literal value `s` allows, or null when it allows more than literals. */
function literalsOf(s: Schema, deref: (id: string) => Schema | undefined): Literal[] | null {
  if (s.kind === "ref") {
    const d = deref(s.id);
    return d ? literalsOf(d, deref) : null;
  }
  if (s.kind === "literal") return [s.value];
  if (s.kind === "union") {
    const out: Literal[] = [];
    for (const v of s.variants) {
      const l = literalsOf(v, deref);
      if (!l) return null;
      out.push(...l);
    }
    return out;
  }
  return null;
}

function docOf(sym: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  const text = ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  return text || undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
