/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// `npm run dev` proxies the API to `cargo xtask dev` (IGNY8_API overrides the
// default http://127.0.0.1:3000), so the app and the API share one origin as
// they do in AWS (CloudFront) and under `cargo xtask dev`.
// (Node's `process`, declared here rather than pulling in @types/node.)
declare const process: { env: Record<string, string | undefined> };
const api = process.env.IGNY8_API ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target: api, changeOrigin: true } },
  },
  build: {
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // A bound on a stuck test, generous for a shared, loaded machine (findBy waits up to 10 s: src/test/setup.ts).
    testTimeout: 30_000,
    // `npm run test:coverage` (v8): the stores and the API client, 80 % of
    // lines each (issue 17). Off in a plain `vitest run`.
    coverage: {
      provider: "v8",
      include: ["src/stores/**", "src/api/**"],
      exclude: ["**/*.test.{ts,tsx}", "src/api/schema.d.ts"],
      reporter: ["text", "html", "lcov", "json-summary"],
      reportsDirectory: "../target/coverage/web",
      thresholds: {
        "src/stores/**": { lines: 80 },
        "src/api/**": { lines: 80 },
      },
    },
  },
});
