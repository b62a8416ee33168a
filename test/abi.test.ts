// The JS↔C contract is written once, in the C headers: runtime/abi.gen.ts is generated from
// them, runtime/abi.ts names those values, the compiled addon reports what it was built
// with, and README's listen-option table states the defaults. Each check fails when one
// half disagrees with the other.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as abi from "../runtime/abi.js";
import { FORM_LIMIT_DEFAULTS } from "../runtime/form.js";
// @ts-ignore -- plain ESM script without types
import { constantsOf, generate, HEADERS, OUT } from "../scripts/gen-abi.mjs";

const root = join(import.meta.dirname, "..");
const addon = createRequire(import.meta.url)(join(root, "build", "Release", "catzilla.node"));

describe("the JS↔C contract", () => {
  it("runtime/abi.gen.ts is what the C headers give (run node scripts/gen-abi.mjs)", () => {
    expect(readFileSync(join(root, OUT), "utf8")).toBe(generate());
  });

  it("the generator reads defines and enums, and sees a changed value", () => {
    const h = "#define CZ_A 4\n#define CZ_B (1u << 20)\nenum x { CZ_C = 3, CZ_D, CZ_E = 1 << 2 };\n";
    expect(constantsOf(h)).toEqual({ CZ_A: 4, CZ_B: 1048576, CZ_C: 3, CZ_D: 4, CZ_E: 4 });
    const real = readFileSync(join(root, HEADERS[0]), "utf8");
    const changed = real.replace(/#define CZ_REQ_STRIDE \d+/, "#define CZ_REQ_STRIDE 49");
    expect(changed).not.toBe(real);
    expect(constantsOf(changed).CZ_REQ_STRIDE).toBe(49);
  });

  it("the compiled addon was built with the same numbers", () => {
    const c = addon.constants as Record<string, unknown>;
    expect({
      BATCH_MAX: c.BATCH_MAX,
      REQ_STRIDE: c.REQ_STRIDE,
      RES_STRIDE: c.RES_STRIDE,
      REQ_TABLE: c.REQ_TABLE,
      REQ_ID: c.REQ_ID,
      ALOG_STRIDE: c.ALOG_STRIDE,
      REQ_BODY_OFF: c.REQ_BODY_OFF,
      REQF_BODY_ARENA: c.REQF_BODY_ARENA,
      RES_CTX: c.RES_CTX,
      RES_GEN: c.RES_GEN,
      RESPOND_MANY_MAX: c.RESPOND_MANY_MAX,
      ROUTES_ABI_VERSION: c.ROUTES_ABI_VERSION,
      MAX_PARAMS: c.MAX_PARAMS,
    }).toEqual({
      BATCH_MAX: abi.BATCH_MAX,
      REQ_STRIDE: abi.REQ_STRIDE,
      RES_STRIDE: abi.RES_STRIDE,
      REQ_TABLE: abi.REQ_TABLE,
      REQ_ID: abi.REQ_ID,
      ALOG_STRIDE: abi.ALOG_STRIDE,
      REQ_BODY_OFF: abi.REQ_BODY_OFF,
      REQF_BODY_ARENA: abi.REQ_FLAG_BODY_ARENA,
      RES_CTX: abi.RES_CTX,
      RES_GEN: abi.RES_GEN,
      RESPOND_MANY_MAX: abi.RESPOND_MANY_MAX,
      ROUTES_ABI_VERSION: abi.ROUTES_ABI_VERSION,
      MAX_PARAMS: abi.MAX_PARAMS,
    });
    expect(c.defaults).toEqual({ ...abi.LIMIT_DEFAULTS });
  });

  it("README's listen-option table states the defaults the server enforces", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const units: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024 };
    for (const [name, value] of Object.entries(abi.LIMIT_DEFAULTS)) {
      const row = new RegExp("^\\| `" + name + "` \\| ([^|]+) \\|", "m").exec(readme);
      expect(row, `README has a row for ${name}`).not.toBeNull();
      const cell = row![1].trim();
      const m = /^(\d+(?: \d{3})*)(?: (KiB|MiB))?/.exec(cell);
      expect(m, `README's ${name} default "${cell}" is a number`).not.toBeNull();
      const stated = Number(m![1].replace(/ /g, "")) * (m![2] ? units[m![2]] : 1);
      expect(stated, `README's default for ${name}`).toBe(value);
    }
  });

  it("README's listen-option table states the form limits' defaults (JS-only, runtime/form.ts)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const units: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024 };
    for (const [name, value] of Object.entries(FORM_LIMIT_DEFAULTS)) {
      const row = new RegExp("^\\| `" + name + "` \\| (\\d+(?: \\d{3})*)(?: (KiB|MiB))? \\|", "m").exec(readme);
      expect(row, `README has a row for ${name}`).not.toBeNull();
      expect(Number(row![1].replace(/ /g, "")) * (row![2] ? units[row![2]] : 1), `README's default for ${name}`).toBe(value);
    }
  });
});
