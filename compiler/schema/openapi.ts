/**
 * `.catzilla/openapi.json`: an OpenAPI 3.1 document of every route, from the same schema IR
 * the validators and serializers come from. Component schemas are named after the TS types
 * (the names validators.js uses); `description`s come from JSDoc.
 */
import type { Def, Schema } from "./ir.js";
import type { DefNames } from "./validator.js";
import type { PlannedRoute, Plan, Segment } from "../types.js";
import { FLAG_BODY } from "../types.js";

export const OPENAPI_FILE = "openapi.json";
export const OPENAPI_VERSION = "3.1.0";

type JsonSchema = Record<string, unknown>;

/** The 400 of a route whose request does not match its schema (runtime/validate.ts problemBody). */
const PROBLEM_SCHEMA: JsonSchema = {
  type: "object",
  description: "RFC 9457 problem details, listing at most 20 failures.",
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer", const: 400 },
    detail: { type: "string" },
    errors: {
      type: "array",
      maxItems: 20,
      items: {
        type: "object",
        properties: {
          path: { type: "string", description: "`$.tags[1]` (body), `query.limit`, `headers.x-foo`" },
          expected: { type: "string", description: "The type at that path, as TypeScript writes it." },
          message: { type: "string" },
        },
        required: ["path", "expected", "message"],
      },
    },
  },
  required: ["type", "title", "status", "detail", "errors"],
};

/** What the native server answers on its own (cz_http.c: `{"error": reason}`). */
const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  properties: { error: { type: "string" } },
  required: ["error"],
};

export interface OpenApiInfo {
  title: string;
  version: string;
}

export function emitOpenApi(plan: Plan, defs: Def[], names: DefNames, info: OpenApiInfo): string {
  const conv = new Converter(names, new Map(defs.map((d) => [d.id, d.schema])));
  const schemas: Record<string, JsonSchema> = {};
  for (const d of defs) {
    const s = conv.schema(d.schema);
    schemas[names.get(d.id)!] = {
      ...(d.tsName !== names.get(d.id) ? { title: d.tsName } : {}),
      ...(d.description ? { description: d.description } : {}),
      ...s,
    };
  }
  const used = { problem: false, error: false };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of plan.routes) {
    if (r.method === "HEAD" && plan.routes.some((o) => o.path === r.path && o.method === "GET")) continue;
    if (r.notFound || r.preflightOf !== null) continue; // not operations of the API
    const key = openApiPath(r.segments);
    const item = (paths[key] ??= {});
    item[r.method.toLowerCase()] = operation(r, conv, used);
  }
  const sortedPaths = Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]]));
  if (used.problem) schemas.Problem = PROBLEM_SCHEMA;
  if (used.error) schemas.Error = ERROR_SCHEMA;
  const doc = {
    openapi: OPENAPI_VERSION,
    info,
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    paths: sortedPaths,
    components: { schemas: Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]])) },
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/** `/users/:id(int)/*` → `/users/{id}/{wildcard}`. */
function openApiPath(segments: Segment[]): string {
  if (segments.length === 0) return "/";
  return segments
    .map((s) => "/" + (s.type === "static" ? s.text : s.type === "param" ? `{${s.name}}` : `{${WILDCARD}}`))
    .join("");
}

/** The name a trailing `*` gets in the document (OpenAPI templates need a name). */
const WILDCARD = "wildcard";

function operation(r: PlannedRoute, conv: Converter, used: { problem: boolean; error: boolean }): Record<string, unknown> {
  const params: Record<string, unknown>[] = [];
  for (const s of r.segments) {
    if (s.type === "param") {
      const t = s.ptype;
      const schema =
        t.type === "int"
          ? { type: "integer" }
          : t.type === "number"
            ? { type: "number" }
            : t.type === "enum"
              ? { type: "string", enum: t.values }
              : { type: "string" };
      params.push({ name: s.name, in: "path", required: true, schema });
    } else if (s.type === "wildcard") {
      params.push({ name: WILDCARD, in: "path", required: true, description: "The rest of the path.", schema: { type: "string" } });
    }
  }
  const schema = r.schema;
  for (const [where, part] of [["query", schema?.query], ["header", schema?.headers]] as const) {
    if (!part) continue;
    const obj = conv.object(part);
    for (const p of obj?.props ?? []) {
      params.push({
        name: where === "header" ? p.name.toLowerCase() : p.name,
        in: where,
        required: !p.optional,
        ...(p.description ? { description: p.description } : {}),
        schema: conv.schema(p.schema),
      });
    }
  }
  const op: Record<string, unknown> = { operationId: operationId(r), "x-catzilla-route": r.id, "x-catzilla-kind": r.kind };
  if (schema?.description) op.description = schema.description;
  if (params.length) op.parameters = params;
  if (schema?.body && schema.form) {
    // Files need multipart; a form of text fields may come either way (runtime/form.ts reads both).
    const body = { schema: conv.schema(schema.body) };
    op.requestBody = {
      required: true,
      content: conv.hasFile(schema.body)
        ? { "multipart/form-data": body }
        : { "application/x-www-form-urlencoded": body, "multipart/form-data": body },
    };
  } else if (schema?.body) {
    op.requestBody = { required: true, content: { "application/json": { schema: conv.schema(schema.body) } } };
  }
  const responses: Record<string, unknown> = {};
  // The result's type: filtered by (response), or an inferred literal's, sent as it is (shape).
  const result = schema?.response ?? schema?.shape;
  if (r.kind === "const" && r.response) {
    const { status, type } = constHead(r.response);
    const media = type === "application/json" && result ? { schema: conv.schema(result) } : {};
    responses[String(status)] = { description: reason(status), ...(type ? { content: { [type]: media } } : {}) };
  } else if (schema?.noContent) {
    responses["204"] = { description: "No Content" };
  } else if (result) {
    responses["200"] = { description: "OK", content: { "application/json": { schema: conv.schema(result) } } };
  } else {
    responses["200"] = { description: "OK" };
  }
  const checked = !!(schema && (schema.body || schema.query || schema.headers));
  if (checked) {
    used.problem = true;
    responses["400"] = {
      description: "The request does not match the route's schema.",
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  } else if (r.paramErrors) {
    used.error = true;
    responses["400"] = { description: "A path parameter does not fit its type.", content: { "application/json": { schema: { type: "object" } } } };
  }
  const typed = r.segments.some((s) => s.type === "param" && s.ptype.type !== "string");
  if (typed && !r.paramErrors) {
    used.error = true;
    responses["404"] = errorResponse("A path parameter does not fit its type (no route matches).");
  }
  if (schema?.form && schema.body) {
    used.error = true;
    responses["415"] = errorResponse("The body is not a form (multipart/form-data or application/x-www-form-urlencoded).");
  }
  if (r.flags & FLAG_BODY) {
    used.error = true;
    responses["413"] = errorResponse("The body is larger than maxBodyBytes.");
  }
  op.responses = Object.fromEntries(Object.keys(responses).sort().map((k) => [k, responses[k]]));
  return op;
}

function errorResponse(description: string): Record<string, unknown> {
  return { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
}

/** `get_users_id` for GET /users/:id(int) (unique: method and path are). */
function operationId(r: PlannedRoute): string {
  const path = r.path.replace(/\(.*?\)/g, "").replace(/\*/g, WILDCARD).replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "");
  return `${r.method.toLowerCase()}_${path || "root"}`;
}

/** Status and Content-Type of a const route's prebuilt response bytes. */
function constHead(bytes: Buffer): { status: number; type: string | null } {
  const head = bytes.toString("latin1", 0, Math.min(bytes.length, 4096));
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 200);
  const type = /\r\nContent-Type: ([^;\r]+)/i.exec(head)?.[1] ?? null;
  return { status, type };
}

function reason(status: number): string {
  return status === 204 ? "No Content" : status >= 300 && status < 400 ? "Redirect" : "OK";
}

class Converter {
  constructor(
    private readonly names: DefNames,
    private readonly defs: Map<string, Schema>,
  ) {}

  /** The object type behind `s` (through refs): query and header parameters are its members. */
  object(s: Schema): Extract<Schema, { kind: "object" }> | null {
    for (let i = 0; i < 32 && s.kind === "ref"; i++) s = this.defs.get(s.id) ?? { kind: "any" };
    return s.kind === "object" ? s : null;
  }

  /** A form body type with a File or Blob field (or a list of them). */
  hasFile(s: Schema): boolean {
    const obj = this.object(s);
    const deref = (x: Schema): Schema => (x.kind === "ref" ? this.defs.get(x.id) ?? { kind: "any" } : x);
    return !!obj?.props.some((p) => {
      const d = deref(p.schema);
      return d.kind === "file" || (d.kind === "array" && deref(d.items).kind === "file");
    });
  }

  schema(s: Schema): JsonSchema {
    switch (s.kind) {
      case "any":
        return {};
      case "string": {
        const t = s.tags;
        return { type: "string", ...defined({ minLength: t.minLength, maxLength: t.maxLength, pattern: t.pattern, format: t.format }) };
      }
      case "number": {
        const t = s.tags;
        return {
          type: s.integer ? "integer" : "number",
          ...defined({
            minimum: t.minimum,
            maximum: t.maximum,
            exclusiveMinimum: t.exclusiveMinimum,
            exclusiveMaximum: t.exclusiveMaximum,
            multipleOf: t.multipleOf,
          }),
        };
      }
      case "boolean":
        return { type: "boolean" };
      case "null":
        return { type: "null" };
      case "literal":
        return { const: s.value };
      case "template":
        return { type: "string", pattern: s.pattern };
      case "date":
        return { type: "string", format: "date-time" };
      case "file":
        // OAS 3.1 (File Uploads): binary content is a string with a media type; `format:
        // binary` is what OAS 3.0 said, and what tools still look for to offer a file input.
        return { type: "string", contentMediaType: "application/octet-stream", format: "binary" };
      case "array":
        return {
          type: "array",
          items: this.schema(s.items),
          ...defined({ minItems: s.tags.minItems, maxItems: s.tags.maxItems, uniqueItems: s.tags.uniqueItems }),
        };
      case "tuple":
        return {
          type: "array",
          prefixItems: s.items.map((it) => this.schema(it)),
          minItems: s.required,
          ...(s.rest ? { items: this.schema(s.rest) } : { items: false, maxItems: s.items.length }),
        };
      case "object": {
        const properties: Record<string, JsonSchema> = {};
        for (const p of s.props) {
          const ps = this.schema(p.schema);
          properties[p.name] = p.description ? { ...ps, description: p.description } : ps;
        }
        const required = s.props.filter((p) => !p.optional).map((p) => p.name);
        return {
          type: "object",
          ...(s.props.length ? { properties } : {}),
          ...(required.length ? { required } : {}),
          ...(s.additional ? { additionalProperties: this.schema(s.additional) } : {}),
        };
      }
      case "union": {
        if (s.variants.every((v) => v.kind === "literal")) {
          return { enum: s.variants.map((v) => (v as { value: unknown }).value) };
        }
        const variants = s.variants.map((v) => this.schema(v));
        if (!s.discriminant) return { anyOf: variants };
        const allRefs = s.variants.every((v) => v.kind === "ref");
        return { oneOf: variants, ...(allRefs ? { discriminator: { propertyName: s.discriminant.prop } } : {}) };
      }
      case "ref":
        return { $ref: `#/components/schemas/${this.names.get(s.id)}` };
    }
  }
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
