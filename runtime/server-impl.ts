// placeholder: implemented next
import type { Server } from "./server.js";
export interface RouteInfo {
  id: number;
  method: string;
  path: string;
  kind: "sync" | "async" | "maybe" | "const" | "blocking";
  params: readonly string[];
  flags: number;
  source: string;
}
export interface RuntimeHooks {
  sync(i: number, req: unknown, value: unknown): void;
  async(i: number, req: unknown, value: PromiseLike<unknown>): void;
  maybe(i: number, req: unknown, value: unknown): void;
}
export interface DispatchModule {
  fingerprint: string;
  routes: readonly RouteInfo[];
  createDispatch(rt: RuntimeHooks, handlers: readonly Function[]): (route: number, req: unknown, i: number) => void;
}
export function createServer(_dispatch: DispatchModule, _table: URL): Server {
  throw new Error("not yet");
}
