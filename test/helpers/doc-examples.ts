/**
 * The docs' runnable examples: every ```ts block headed with a file name (```ts app.ts) of a
 * page under docs/, by name (the convention test/compiler/docs-examples.test.ts reads).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./app.js";

/** name → source of each ```ts <name> block of docs/<page>. */
export function docExamples(page: string): Record<string, string> {
  const text = docPage(page);
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/```ts ([\w./-]+)\n([\s\S]*?)```/g)) out[m[1]] = m[2];
  return out;
}

/** The text of docs/<page>. */
export function docPage(page: string): string {
  return fs.readFileSync(path.join(ROOT, "docs", page), "utf8");
}
