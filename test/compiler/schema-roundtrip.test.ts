/**
 * Property tests of what catzilla-compile generates for the schema fixture, driven by its own
 * openapi.json (which must pass an OpenAPI 3.1 validator, and whose schemas ajv compiles):
 *  - valid values of every request type pass the generated validator (and ajv agrees);
 *  - one wrong value anywhere (outside unions) fails, reported first at exactly that path;
 *  - every result type serializes, with both strategies, to what JSON.stringify gives for
 *    the value, also when fields the type does not declare were added (they are dropped).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
// The generated modules import "catzilla/internal" (dist/): set the strategy in that instance.
import { setSerializerStrategy } from "catzilla/internal";
import { rng, Values, type JsonSchema } from "../helpers/schema-values.js";
import { copyFixture } from "./helpers.js";
import { loadOpenApiValidator } from "../helpers/openapi-validator.js";

interface Op {
  "x-catzilla-route": number;
  "x-catzilla-kind": string;
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, JsonSchema> };
}
type BodyCheck = { is(x: unknown): boolean; report(x: unknown, p: string, e: { path: string }[]): boolean };

let doc: Doc;
let validators: Record<string, { body?: BodyCheck }>;
let serializers: Record<string, (v: unknown) => unknown>;
let out: string;
const RUNS = 200;

beforeAll(async () => {
  const dir = copyFixture("schema");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, cc: false });
  expect(r.diagnostics).toEqual([]);
  out = path.join(dir, ".catzilla");
  doc = JSON.parse(fs.readFileSync(path.join(out, "openapi.json"), "utf8")) as Doc;
  validators = await import(pathToFileURL(path.join(out, "validators.js")).href);
  serializers = await import(pathToFileURL(path.join(out, "serializers.js")).href);
}, 120_000);

const ops = () => Object.values(doc.paths).flatMap((item) => Object.values(item));
const ajv = () => {
  const a = new Ajv2020({ strict: false, allErrors: true });
  a.addFormat("email", true).addFormat("uuid", true).addFormat("uri", true).addFormat("date", true);
  a.addFormat("date-time", true).addFormat("time", true).addFormat("ipv4", true).addFormat("ipv6", true);
  a.addSchema({ $id: "app", components: doc.components });
  return a;
};
/** A schema whose $refs point into the document's components (registered as "app"). */
const rooted = (s: JsonSchema) => JSON.parse(JSON.stringify(s).replaceAll('"#/components/', '"app#/components/'));

describe("openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const Validator = await loadOpenApiValidator();
    const v = new Validator();
    const res = await v.validate(JSON.parse(JSON.stringify(doc)));
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(v.version).toBe("3.1");
  });

  it("describes routes, params, bodies, responses and components named after the types", () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["NewUser", "User", "Paging", "Role", "Tree", "Shape", "Color", "Level", "Page_Tree", "Problem"]),
    );
    const post = doc.paths["/users"].post as unknown as Record<string, any>;
    expect(post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/NewUser" });
    expect(post.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/User" });
    expect(post.responses["400"].content["application/problem+json"].schema).toEqual({ $ref: "#/components/schemas/Problem" });
    expect(post.responses["413"]).toBeDefined();
    const list = doc.paths["/users"].get as unknown as Record<string, any>;
    expect(list.parameters).toContainEqual({
      name: "limit",
      in: "query",
      required: false,
      schema: { type: "integer", minimum: 1, maximum: 100 },
    });
    expect((doc.paths["/trace"].get as any).parameters[0]).toMatchObject({ name: "x-trace", in: "header", required: true });
    const newUser = doc.components.schemas.NewUser as any;
    expect(newUser.description).toBe("A user as the API accepts it.");
    expect(newUser.properties.name).toEqual({ type: "string", minLength: 1, maxLength: 80, description: "Display name." });
    expect(newUser.required).toEqual(["name", "email", "role", "tags"]);
  });

  it("ajv compiles every component schema", () => {
    const a = ajv();
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => a.compile({ $ref: `app#/components/schemas/${name}` }), name).not.toThrow();
    }
  });
});

describe("validators: property-based round trip", () => {
  it("valid values of every request body type pass; one wrong value fails at its path", () => {
    const r = rng(12);
    const values = new Values(doc.components.schemas, r);
    const a = ajv();
    let checked = 0;
    let mutated = 0;
    for (const op of ops()) {
      const schema = op.requestBody?.content["application/json"].schema;
      const check = validators[`route${op["x-catzilla-route"]}`]?.body;
      if (!schema) continue;
      expect(check, `route${op["x-catzilla-route"]}`).toBeDefined();
      const ajvCheck = a.compile(rooted(schema));
      for (let i = 0; i < RUNS; i++) {
        const v = values.valid(schema);
        expect(ajvCheck(v), JSON.stringify(v)).toBe(true); // the generator and the JSON Schema agree
        expect(check!.is(v), JSON.stringify(v)).toBe(true);
        checked++;
        const m = values.mutate(schema, v);
        if (!m) continue;
        expect(check!.is(m.value), JSON.stringify(m.value)).toBe(false);
        const errors: { path: string }[] = [];
        check!.report(m.value, "$", errors);
        expect(errors[0]?.path, JSON.stringify(m.value)).toBe(m.path);
        expect(ajvCheck(m.value)).toBe(false);
        mutated++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5 * RUNS);
    expect(mutated).toBeGreaterThan(4 * RUNS);
  });
});

describe("serializers: property-based round trip", () => {
  for (const strategy of ["concat", "pick"] as const) {
    it(`${strategy}: every result type gives JSON.stringify's text, without undeclared fields`, () => {
      setSerializerStrategy(strategy);
      const r = rng(strategy === "concat" ? 7 : 8);
      const values = new Values(doc.components.schemas, r);
      let n = 0;
      for (const op of ops()) {
        const schema = op.responses["200"]?.content?.["application/json"]?.schema;
        if (!schema) continue;
        const outFn = serializers[`out${op["x-catzilla-route"]}`];
        // Described but not serialized: a const route (bytes built at compile time) and a flat
        // inferred literal of scalars (sent as it is: compiler/schema/index.ts).
        if (op["x-catzilla-kind"] === "const" || (!outFn && flatObject(schema))) continue;
        expect(outFn, `out${op["x-catzilla-route"]}`).toBeDefined();
        for (let i = 0; i < RUNS; i++) {
          const v = values.valid(schema);
          const res = outFn(values.withExtras(schema, v));
          if (v === null || typeof v !== "object") {
            expect(res).toBe(v);
            continue;
          }
          expect((res as object).constructor.name).toBe("JsonText");
          expect((res as { text: string }).text).toBe(JSON.stringify(v));
          n++;
        }
      }
      expect(n).toBeGreaterThanOrEqual(5 * RUNS);
    });
  }
});

/** An object schema whose properties are all scalars (no $ref, object or array inside). */
function flatObject(s: JsonSchema): boolean {
  const o = s as { type?: unknown; properties?: Record<string, object>; additionalProperties?: unknown };
  if (o.type !== "object" || o.additionalProperties !== undefined) return false;
  const scalar = (p: object): boolean => {
    const q = p as { $ref?: unknown; type?: unknown; anyOf?: object[]; oneOf?: object[]; properties?: unknown; items?: unknown };
    if (q.$ref !== undefined || q.properties !== undefined || q.items !== undefined) return false;
    if (q.type === "object" || q.type === "array") return false;
    return [...(q.anyOf ?? []), ...(q.oneOf ?? [])].every(scalar);
  };
  return Object.values(o.properties ?? {}).every(scalar);
}
