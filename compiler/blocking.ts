/**
 * Known blocking APIs called by a sync handler (CZ2003). A call counts only when the type
 * checker resolves its callee to a declaration of a Node built-in module (in @types/node:
 * `declare module "fs"` …) or to `Atomics.wait` in TypeScript's lib, so a local function
 * that happens to be named `readFileSync` is not flagged, and `import { readFileSync as r }`,
 * `fs.readFileSync`, `import * as cp` and destructured requires all are.
 */
import { ts } from "ts-morph";
import { resolveFunction } from "./usage.js";

const CRYPTO = new Set([
  "pbkdf2Sync",
  "scryptSync",
  "generateKeyPairSync",
  "generateKeySync",
  "generatePrimeSync",
  "checkPrimeSync",
]);
const CHILD = new Set(["execSync", "execFileSync", "spawnSync"]);

export interface BlockingCall {
  /** "fs.readFileSync", "Atomics.wait". */
  api: string;
  node: ts.CallExpression;
}

/** Blocking calls in the body of the handler (nested closures included), in source order. */
export function blockingCalls(handler: ts.Expression, checker: ts.TypeChecker): BlockingCall[] {
  const fn = resolveFunction(handler, checker);
  if (!fn || !fn.body) return [];
  const out: BlockingCall[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const api = blockingApi(n.expression, checker);
      if (api) out.push({ api, node: n });
    }
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
  return out;
}

function blockingApi(callee: ts.Expression, checker: ts.TypeChecker): string | null {
  const name = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : null;
  if (!name) return null;
  let sym = checker.getSymbolAtLocation(name);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  for (const d of sym?.declarations ?? []) {
    const fnName = sym!.name;
    if (fnName === "wait" && isAtomics(d)) return "Atomics.wait";
    const mod = nodeModuleOf(d);
    if (mod === null) continue;
    if ((mod === "fs" || mod === "zlib") && fnName.endsWith("Sync")) return `${mod}.${fnName}`;
    if (mod === "child_process" && CHILD.has(fnName)) return `child_process.${fnName}`;
    if (mod === "crypto" && CRYPTO.has(fnName)) return `crypto.${fnName}`;
  }
  return null;
}

/** "fs" for a declaration inside `declare module "fs"` / `"node:fs"` of @types/node, else null. */
function nodeModuleOf(d: ts.Node): string | null {
  if (!/[\\/]@types[\\/]node[\\/]/.test(d.getSourceFile().fileName)) return null;
  for (let n: ts.Node | undefined = d.parent; n; n = n.parent) {
    if (ts.isModuleDeclaration(n) && ts.isStringLiteral(n.name)) return n.name.text.replace(/^node:/, "");
  }
  return null;
}

function isAtomics(d: ts.Node): boolean {
  const owner = d.parent;
  return (
    ts.isInterfaceDeclaration(owner) &&
    owner.name.text === "Atomics" &&
    /[\\/]lib\.[^\\/]*\.d\.ts$/.test(d.getSourceFile().fileName)
  );
}
