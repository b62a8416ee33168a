/** Imported by generated code only (`catzilla/internal`); not a public API. */
export { createServer } from "./server-impl.js";
export type { ReloadableServer } from "./server-impl.js";
export type { DispatchModule, HandlerRecords, RouteInfo, RuntimeHooks } from "./bind.js";
/** For the dev server: registrations made so far (slice it around an import of the app). */
export { registeredRoutes } from "./app.js";
/** What generated validators.js imports (runtime/validate.ts). */
export { coerce, formats, miss, unique } from "./validate.js";
export { field, fields, file, files } from "./form-check.js";
/** What generated serializers.js imports (runtime/serialize.ts). */
export { jbool, jnum, jstr, jval, serialized, serializerStrategy, setSerializerStrategy } from "./serialize.js";
