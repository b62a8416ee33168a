/** What apps import: `import { Catzilla, json } from "catzilla"`. */
export { Catzilla } from "./app.js";
export { Router } from "./router.js";
export { json, text, html, body, empty, redirect, HttpError, CzResponse } from "./response.js";
export { openapi } from "./openapi.js";
export { cookie } from "./cookies.js";
export { stream, CzStream } from "./stream.js";
export type { StreamInit, StreamSource } from "./stream.js";
export { sse } from "./sse.js";
export type { SseEvent, SseOptions } from "./sse.js";
export { cors } from "./cors.js";
export type { CorsOptions } from "./cors.js";
export type { CookieOptions, SameSite } from "./cookies.js";
export type { StaticOptions } from "./static.js";
export type { ResponseInit, HeadersInit } from "./response.js";
export type {
  CzRequest,
  CzRequest as Request,
  Handler,
  HandlerResult,
  PathParams,
  RequestHeaders,
  RouteOptions,
  Middleware,
  Next,
  MiddlewareResponse,
  ResponseHeaders,
  ErrorHandler,
  NotFoundHandler,
} from "./types.js";
export type { Server, ListenOptions, InjectOptions, InjectResponse } from "./server.js";
export { jsonLogger } from "./log.js";
export type { ServerLogger, LogFn, LogLevel, JsonLoggerOptions } from "./log.js";
export type { TrustProxy, TrustFn } from "./proxy.js";
export type {
  Tag,
  FormatName,
  Format,
  MinLength,
  MaxLength,
  Pattern,
  Minimum,
  Maximum,
  ExclusiveMinimum,
  ExclusiveMaximum,
  MultipleOf,
  Integer,
  MinItems,
  MaxItems,
  UniqueItems,
  RequestSchema,
} from "./schema-types.js";
