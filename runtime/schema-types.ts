/**
 * Constraint tags and the request schema a handler declares. Types only: the compiler
 * reads them with the type checker (compiler/schema/) and generates the checks; nothing
 * here exists at run time.
 *
 *   interface NewUser { name: string & MinLength<1> & MaxLength<80>; age?: number & Integer }
 *   app.post("/users", async (req: Request<"/users", { body: NewUser }>) => save(await req.json()));
 *
 * A tag is an optional phantom property under a symbol key, so a plain `string` value is
 * still assignable to `string & MinLength<1>`: tags narrow what the server accepts, not
 * what the app's own code may write.
 */

declare const TAG: unique symbol;

/** One JSON Schema keyword and its value. The compiler reads `K` and `V` back from the property. */
export interface Tag<K extends string, V> {
  readonly [TAG]?: { readonly [P in K]: V };
}

/** String formats the generated validators check (JSON Schema `format`). */
export type FormatName = "email" | "uuid" | "uri" | "date" | "date-time" | "time" | "ipv4" | "ipv6";

export type Format<F extends FormatName> = Tag<"format", F>;
export type MinLength<N extends number> = Tag<"minLength", N>;
export type MaxLength<N extends number> = Tag<"maxLength", N>;
/** A regular expression (ECMAScript syntax, unanchored as in JSON Schema). */
export type Pattern<P extends string> = Tag<"pattern", P>;
export type Minimum<N extends number> = Tag<"minimum", N>;
export type Maximum<N extends number> = Tag<"maximum", N>;
export type ExclusiveMinimum<N extends number> = Tag<"exclusiveMinimum", N>;
export type ExclusiveMaximum<N extends number> = Tag<"exclusiveMaximum", N>;
export type MultipleOf<N extends number> = Tag<"multipleOf", N>;
/** `number & Integer`: JSON Schema `"type": "integer"`. */
export type Integer = Tag<"type", "integer">;
export type MinItems<N extends number> = Tag<"minItems", N>;
export type MaxItems<N extends number> = Tag<"maxItems", N>;
export type UniqueItems = Tag<"uniqueItems", true>;

/** What a handler accepts: `Request<"/users", { body: NewUser; query: Paging }>`. */
export interface RequestSchema {
  body?: unknown;
  query?: object;
  headers?: object;
}

/** `any` stays `any` (a handler typed loosely), else the member or the fallback. */
type IsAny<T> = 0 extends 1 & T ? true : false;
export type SchemaBody<S> = IsAny<S> extends true ? any : S extends { body: infer B } ? B : unknown;
/** What `req.form()` gives: the declared body, else each field (a repeated one as an array). */
export type SchemaForm<S> =
  IsAny<S> extends true ? any : S extends { body: infer B } ? B : Record<string, FormDataEntryValue | FormDataEntryValue[]>;
// The query as a mapped type, not the declared interface itself: an object type written out
// has an implicit index signature, so it is assignable to AnyQuery (types.ts) and a route's
// request to `Request`; an interface would not be.
export type SchemaQuery<S> =
  IsAny<S> extends true ? any : S extends { query: infer Q } ? { [K in keyof Q]: Q[K] } : Record<string, string>;
export type SchemaHeaders<S> = IsAny<S> extends true ? any : S extends { headers: infer H } ? H : {};
