import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Apps the tests write and compile there may have test files of their own (docs/testing.md's).
    exclude: [...configDefaults.exclude, "test/.tmp/**"],
    globalSetup: ["test/global-setup.ts"],
    // Each file compiles its own app and serves it from child processes; files run two at a time.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
