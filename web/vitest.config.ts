// Vitest: unit tests of the pages' logic (src/**/*.test.ts) and of the rehearsal's
// checks and report (tests/rehearsal), in Node. The protocol
// interop and browser suites (tests/) run under node --test from cargo xtask test.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "tests/rehearsal/**/*.test.mjs"],
    environment: "node",
  },
});
