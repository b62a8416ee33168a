/** server.js: what apps import (its declaration, server.d.ts, is shared/generated.ts's SERVER_DTS). */
import { HEADER } from "../shared/generated.js";

/**
 * `entryImports`: specifiers ("../app.js") of entry modules that do not import the server;
 * `blockingModules`: specifiers of the modules the blocking pool's workers import (empty: no pool).
 */
export function emitServerJs(entryImports: string[], blockingModules: string[] = []): string {
  const options = [
    ...(blockingModules.length
      ? [`blockingModules: [${blockingModules.map((s) => `new URL(${JSON.stringify(s)}, import.meta.url).href`).join(", ")}]`]
      : []),
    // What the `openapi` handler answers (runtime/openapi.ts).
    'openapi: new URL("./openapi.json", import.meta.url)',
  ];
  const blocking = `, { ${options.join(", ")} }`;
  return [
    `// ${HEADER}`,
    'import { createServer } from "catzilla/internal";',
    ...entryImports.map((s) => `import ${JSON.stringify(s)};`),
    'import * as dispatch from "./dispatch.js";',
    "",
    `export const server = createServer(dispatch, new URL("./routes.so", import.meta.url)${blocking});`,
    "",
  ].join("\n");
}
