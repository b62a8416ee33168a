/**
 * Compiles the apps the e2e tests serve, once, before any test file runs (the compiler
 * writes JS next to each app's sources, so concurrent compiles of one app would race).
 */
import { compileOrThrow } from "./helpers/app.js";

export const APPS: Record<string, string[]> = {
  "test/fixtures/e2e/.catzilla": ["test/fixtures/e2e/app.ts"],
  "test/fixtures/allsync/.catzilla": ["test/fixtures/allsync/app.ts"],
  "test/fixtures/deploy/.catzilla": ["test/fixtures/deploy/app.ts", "test/fixtures/deploy/main.ts"],
  "test/fixtures/bodies/.catzilla": ["test/fixtures/bodies/app.ts"],
  "test/fixtures/streamed/.catzilla": ["test/fixtures/streamed/app.ts"],
  "test/fixtures/mw/.catzilla": ["test/fixtures/mw/app.ts"],
  "examples/hello/.catzilla": ["examples/hello/app.ts", "examples/hello/main.ts"],
  "examples/mixed/.catzilla": ["examples/mixed/app.ts", "examples/mixed/main.ts"],
  "examples/notes/.catzilla": ["examples/notes/app.ts", "examples/notes/main.ts"],
};

export default function setup(): void {
  for (const [out, entries] of Object.entries(APPS)) compileOrThrow(entries, out);
}
