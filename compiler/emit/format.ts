/** Prettier with fixed options (never the app's config), so output is reproducible. */
import * as prettier from "prettier";

const OPTIONS: prettier.Options = {
  printWidth: 120,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: false,
  trailingComma: "all",
  bracketSpacing: true,
  arrowParens: "always",
  endOfLine: "lf",
};

export function formatJs(code: string): Promise<string> {
  return prettier.format(code, { ...OPTIONS, parser: "babel" });
}

export function formatTs(code: string): Promise<string> {
  return prettier.format(code, { ...OPTIONS, parser: "typescript" });
}
