// Playwright against the real backend: `cargo xtask e2e` (and `cargo xtask
// test`) start the local gateway on the emulator with the demo account, serve
// the built app beside the API, and run this with IGNY8_E2E_URL set.
// The browser is Debian's Chromium (Playwright's own download cannot work on
// these machines and is never part of set-up).
import { defineConfig } from "@playwright/test";

declare const process: { env: Record<string, string | undefined> };

export default defineConfig({
  testDir: "./e2e",
  // The demo walk takes ~25 s on an idle machine and over 90 s on a shared, loaded 2-core one.
  timeout: 180_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "../target/playwright",
  use: {
    baseURL: process.env.IGNY8_E2E_URL ?? "http://127.0.0.1:3000",
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: process.env.IGNY8_CHROMIUM ?? "/usr/bin/chromium" },
    trace: "off",
  },
});
