/**
 * server.js (what apps import) and server.d.ts (route-independent, also given to the type
 * checker in memory before the first compile so an entry importing the server typechecks).
 */
import { HEADER } from "./header.js";

export const SERVER_DTS = `// ${HEADER}
import type { Server } from "catzilla";
export declare const server: Server;
`;

/** `entryImports`: specifiers ("../app.js") of entry modules that do not import the server. */
export function emitServerJs(entryImports: string[]): string {
  return [
    `// ${HEADER}`,
    'import { createServer } from "catzilla/internal";',
    ...entryImports.map((s) => `import ${JSON.stringify(s)};`),
    'import * as dispatch from "./dispatch.js";',
    "",
    'export const server = createServer(dispatch, new URL("./routes.so", import.meta.url));',
    "",
  ].join("\n");
}
