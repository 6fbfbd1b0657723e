// What the Chromium suites share: the browser as they launch it (Debian's
// chromium through playwright-core from .deps/) and PDF bytes of any size.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(ROOT, ".deps", "package.json"));
const { chromium } = require("playwright-core");

// Headless, quiet, no network of its own; CHROMIUM names the binary.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// A PDF (by its bytes, as libmagic sees it) of exactly n bytes; the same
// bytes as tests/integration/storage_api.pdf_of_size().
export function pdfOfSize(n) {
  const head = Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1");
  const tail = Buffer.from("\n%%EOF\n");
  return Buffer.concat([head, Buffer.alloc(n - head.length - tail.length, 0x30), tail]);
}
