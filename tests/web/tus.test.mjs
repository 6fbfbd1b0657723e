// Resumable uploads (tus) in headless Chromium against a real stack:
// tus-js-client's browser build, and the dashboard's own resumable uploads
// of large files. tests/integration/test_tus.py starts this with
//
//   COFFER_URL            https://127.0.0.1:PORT
//   COFFER_TUS_FIXTURES   JSON {client: {token}, dashboard: {token}, small: {token}}
//   COFFER_TEST_OUT       output directory (screenshots in $COFFER_TEST_OUT/web/)
//   CHROMIUM              browser binary (default /usr/bin/chromium)
// and checks the rows and bytes the runs leave behind.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, pdfOfSize } from "./chromium.mjs";

const TUS_BUNDLE = path.join(ROOT, ".deps", "node_modules", "tus-js-client", "dist", "tus.js");

const URL_BASE = process.env.COFFER_URL;
const FIX = JSON.parse(process.env.COFFER_TUS_FIXTURES || "{}");
const OUT = path.join(process.env.COFFER_TEST_OUT || path.join(ROOT, "out"), "web");
const MiB = 1024 * 1024;

assert.ok(URL_BASE, "COFFER_URL is not set");
mkdirSync(OUT, { recursive: true });

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

test("tus-js-client in Chromium: 20 MiB in 1 MiB chunks, interrupted and resumed, with progress", async () => {
  // The page is only the origin; tus-js-client's browser build is added to
  // it by the test (the dashboard's CSP admits its own scripts only).
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${URL_BASE}/app/`);
  await page.addScriptTag({ path: TUS_BUNDLE });
  const size = 20 * MiB;
  const result = await page.evaluate(async ({ size, token }) => {
    const bytes = new Uint8Array(size).fill(0x30);
    // Same bytes as pdfOfSize(): latin1 header, zeros ('0'), trailer.
    const h = [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a];
    bytes.set(h, 0);
    const t = new TextEncoder().encode("\n%%EOF\n");
    bytes.set(t, size - t.length);
    const blob = new Blob([bytes], { type: "application/pdf" });
    const progress = [];
    let interrupted = false;
    const res = await new Promise((resolve, reject) => {
      const upload = new tus.Upload(blob, {
        endpoint: "/api/storage/uploads",
        chunkSize: 1024 * 1024,
        headers: { Authorization: `Bearer ${token}` },
        metadata: { filename: "browser.pdf", category: "documents", subcategory: "contracts" },
        retryDelays: [0, 500, 1000],
        onProgress(sent, total) {
          progress.push(sent);
          // Interrupt once, mid-way; the same Upload then resumes.
          if (!interrupted && sent >= 7 * 1024 * 1024) {
            interrupted = true;
            upload.abort().then(() => setTimeout(() => upload.start(), 100));
          }
        },
        onSuccess({ lastResponse }) {
          resolve({ status: lastResponse.getStatus(), body: lastResponse.getBody(), url: upload.url });
        },
        onError(err) { reject(new Error(String(err))); },
      });
      upload.start();
    });
    return { ...res, progress, interrupted };
  }, { size, token: FIX.client.token });
  assert.equal(result.status, 200);
  assert.ok(result.interrupted);
  assert.ok(result.progress.length > 20, `progress events: ${result.progress.length}`);
  assert.equal(result.progress.at(-1), size);
  const data = JSON.parse(result.body).data;
  assert.equal(data.fileSize, size);
  assert.equal(data.sha256, createHash("sha256").update(pdfOfSize(size)).digest("hex"));
  assert.equal(data.originalName, "browser.pdf");
  await context.close();
});

async function dashboard(token) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  await page.goto(`${URL_BASE}/app/#token=${encodeURIComponent(token)}`);
  await page.waitForSelector("body[data-ready]", { timeout: 15000 });
  return { context, page, problems };
}

test("the dashboard uploads a large file resumably, with a moving progress bar", async () => {
  const { context, page, problems } = await dashboard(FIX.dashboard.token);
  await page.selectOption("#up-category", "documents");
  await page.selectOption("#up-subcategory", "leases");
  // Slow the network so that the bar has something to show.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 8 * MiB });
  await page.evaluate(() => {
    window.__pct = [];
    new MutationObserver((ms) => {
      for (const m of ms) window.__pct.push(Number(m.target.getAttribute("aria-valuenow")));
    }).observe(document.getElementById("upload-list"), { subtree: true, attributeFilter: ["aria-valuenow"] });
  });
  await page.setInputFiles("#file-input", { name: "survey scan.pdf", mimeType: "application/pdf", buffer: pdfOfSize(9 * MiB) });
  const item = page.locator(".upload-item", { hasText: "survey scan.pdf" });
  await item.locator("text=Uploaded").waitFor({ timeout: 60000 });
  assert.equal(await item.getAttribute("data-method"), "resumable");
  const pct = await page.evaluate(() => window.__pct);
  assert.ok(pct.some((p) => p > 0 && p < 100), `progress seen: ${pct}`);
  assert.equal(pct.at(-1), 100);
  await page.screenshot({ path: path.join(OUT, "desktop-upload-resumable.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("the dashboard: a large file that does not fit is refused before any byte is sent", async () => {
  const { context, page, problems } = await dashboard(FIX.small.token);
  const patches = [];
  page.on("request", (r) => { if (r.method() === "PATCH") patches.push(r.url()); });
  await page.selectOption("#up-category", "documents");
  await page.selectOption("#up-subcategory", "leases");
  await page.setInputFiles("#file-input", { name: "huge.pdf", mimeType: "application/pdf", buffer: pdfOfSize(9 * MiB) });
  const item = page.locator(".upload-item", { hasText: "huge.pdf" });
  await page.waitForSelector('.upload-item[data-state="error"]');
  assert.match(await item.locator(".upload-state").textContent(), /^Not enough storage for .huge\.pdf.\. It needs 9 MB/);
  assert.deepEqual(patches, []);
  assert.deepEqual(problems, []);
  await context.close();
});
