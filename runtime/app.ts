/**
 * The Catzilla app: a place to register routes. Registration only records
 * (method, path, handler); `catzilla-compile` reads the same calls from source,
 * decides each handler's kind, and the generated server binds the recorded
 * handlers to the compiled route table when it starts listening. The registering
 * methods themselves are Registrar's (router.ts), shared with Router.
 */
import { METHOD_NAMES } from "./abi.js";
import { REGISTRAR, Registrar, type RouteEntry } from "./router.js";
import { registerStatic, type StaticMount } from "./static.js";

/** Every route registered in this process, in registration order. */
const registry: RouteEntry[] = [];

/** Routes registered so far (read by the generated server at listen time). */
export function registeredRoutes(): readonly RouteEntry[] {
  return registry;
}

/** HTTP methods a route may use (llhttp's set), indexed by llhttp's method number ("" = none). */
export const METHODS: readonly string[] = METHOD_NAMES;

export class Catzilla extends Registrar {
  declare readonly [REGISTRAR]: "app";

  protected add(route: RouteEntry): void {
    registry.push({ ...route, scopes: [this, ...(route.scopes ?? [])] });
  }
  protected addStatic(mount: StaticMount): void {
    registerStatic(mount);
  }
}
