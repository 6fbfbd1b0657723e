// What the browser tests share: Debian's Chromium (CHROMIUM, default
// /usr/bin/chromium), headless with a fresh profile, driven by
// playwright-core from .deps/ (scripts/install-deps); one browser per file.

import { before, after } from "node:test";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(ROOT, ".deps", "package.json"));
const { chromium } = require("playwright-core");

// Registers the file's before/after hooks; `shared.browser` is set in before().
export function useBrowser() {
  const shared = { browser: null };
  before(async () => {
    shared.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    if (shared.browser) await shared.browser.close();
  });
  return shared;
}
