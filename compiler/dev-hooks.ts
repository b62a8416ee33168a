/**
 * The module resolve hook `catzilla dev` registers (dev-loader.ts, through node:module's
 * `register`; it runs on Node's hooks thread). Version N of the app is imported from the
 * emitted files where a normal build leaves them, under a URL tagged `?v=N`
 * (`file:///proj/src/app.js?v=3`): a new URL is a new ESM module instance, so each version
 * re-evaluates, while `import.meta.url`'s path, `import.meta.dirname`/`filename` and paths
 * built from them stay the real ones (the query is not part of a path).
 *
 * The hook passes the tag on from a tagged module to what it imports by path (`./x.js`,
 * `../y.js`, `/abs.js`, `file:` URLs) and by its package's own `#imports`, so the app's
 * whole graph is that version's. Bare package names ("catzilla", dependencies) and anything
 * resolved into node_modules keep their untagged URL: one instance for the process, and
 * "catzilla" must be one (its route registry is how the runner finds the new handlers).
 *
 * Kept free of imports: Node loads this file on its hooks thread.
 */

/** The query parameter that carries the version. */
export const VERSION_PARAM = "v";

/** `url` with the version tag `v` (replacing one it had). */
export function withVersion(url: string, v: string | number): string {
  const u = new URL(url);
  u.searchParams.set(VERSION_PARAM, String(v));
  return u.href;
}

/** The version tag of a module URL, if it has one. */
export function versionOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith("file:")) return undefined;
  return new URL(url).searchParams.get(VERSION_PARAM) ?? undefined;
}

/** Specifiers that name a file of the app itself: paths, file: URLs, the package's own `#imports`. */
function namesAppFile(specifier: string): boolean {
  return /^(\.{0,2}\/|file:|#)/.test(specifier);
}

interface ResolveContext {
  parentURL?: string;
}
interface Resolved {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => Promise<Resolved>,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  const v = versionOf(context.parentURL);
  if (v === undefined || !namesAppFile(specifier) || !resolved.url.startsWith("file:")) return resolved;
  if (/\/node_modules\//.test(new URL(resolved.url).pathname)) return resolved;
  return { ...resolved, url: withVersion(resolved.url, v) };
}
