/** Imported by generated code only (`catzilla/internal`); not a public API. */
export { createServer } from "./server-impl.js";
export type { DispatchModule, RouteInfo, RuntimeHooks } from "./server-impl.js";
