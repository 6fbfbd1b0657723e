// @coffer/react in headless Chromium: a fresh app that installed the npm
// pack tarball, served from its own origin (APP_URL, plain HTTP), calling
// Coffer on another (COFFER_URL, HTTPS) through CORS. Started by
// tests/integration/test_clients.py with:
//
//   COFFER_URL, APP_URL    the API's and the app's origins
//   COFFER_CLIENT_FIXTURES JSON: main {token}, near {token} (85 % used),
//                          tight {token} (little room left), expired {token}
//   COFFER_TEST_OUT        screenshots go to $COFFER_TEST_OUT/clients/,
//   COFFER_SHOTS           named COFFER_SHOTS-*.png (default react)
//   CHROMIUM               browser binary (default /usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, lowContrast, pdfOfSize } from "../web/chromium.mjs";

const API = process.env.COFFER_URL;
const APP = process.env.APP_URL;
const FIX = JSON.parse(process.env.COFFER_CLIENT_FIXTURES || "{}");
const OUT = path.join(process.env.COFFER_TEST_OUT || path.join(ROOT, "out"), "clients");
const SHOTS = process.env.COFFER_SHOTS || "react";
assert.ok(API && APP, "COFFER_URL and APP_URL must be set");
assert.notEqual(new URL(API).origin, new URL(APP).origin, "the app must be on another origin");
mkdirSync(OUT, { recursive: true });

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

// A fresh context and the app with a token; collects page errors and
// console errors other than the HTTP refusals the tests provoke.
async function openApp(token) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  page.on("request", (r) => requests.push(`${r.method()} ${r.url()}`));
  await page.goto(`${APP}/#api=${encodeURIComponent(API)}&token=${encodeURIComponent(token)}`);
  const check = () => assert.deepEqual(problems, []);
  return { context, page, check, requests };
}

const usage = (page) => page.locator(".coffer-usage-text");
const fileInput = (page) => page.getByLabel("Upload to Documents › Leases");

function pdf(name, size) {
  return { name, mimeType: "application/pdf", buffer: pdfOfSize(size) };
}

test("the card loads cross-origin: usage, bar, labelled controls", async () => {
  const { context, page, check, requests } = await openApp(FIX.main.token);
  await usage(page).waitFor();
  assert.equal(await page.getByRole("heading", { level: 2 }).textContent(), "Storage Usage");
  assert.match(await usage(page).textContent(), /^0 Bytes of 5 GB used$/);
  const bar = page.getByRole("progressbar", { name: "Storage used" });
  assert.equal(await bar.getAttribute("aria-valuenow"), "0");
  assert.equal(await fileInput(page).count(), 1);
  assert.equal(await page.locator("#probe").getAttribute("data-near"), "false");
  // Only the API's origin was called for data, and the browser allowed it.
  assert.ok(requests.some((r) => r.startsWith(`GET ${API}/api/storage/stats`)), requests.join("\n"));
  check();
  await context.close();
});

test("upload through the card: the progress bar moves, usage rises, both breakdown levels show", async () => {
  const { context, page, check } = await openApp(FIX.main.token);
  await usage(page).waitFor();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver((ms) => {
      for (const m of ms) {
        const v = m.target.getAttribute && m.target.getAttribute("aria-valuenow");
        if (v !== null && m.target.getAttribute("aria-label")?.startsWith("Upload of")) window.seen.push(Number(v));
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
  });
  await fileInput(page).setInputFiles(pdf("lease 2026.pdf", 1024 * 1024));
  await page.getByRole("progressbar", { name: "Upload of lease 2026.pdf" }).waitFor();
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-upload-progress.png`), fullPage: true });
  await page.getByText("“lease 2026.pdf” uploaded.").waitFor({ timeout: 30000 });
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((v) => v > 0 && v < 100), `no intermediate progress in ${seen}`);
  assert.equal(seen.at(-1), 100);
  await page.waitForFunction(() => document.querySelector(".coffer-usage-text").textContent === "1 MB of 5 GB used");
  const recent = page.locator(".coffer-recent-item", { hasText: "lease 2026.pdf" });
  await recent.waitFor();
  assert.match(await recent.textContent(), /1 MB · Documents › Leases/);
  const breakdown = await page.locator(".coffer-breakdown").textContent();
  assert.match(breakdown, /Documents1 MB · 100\.0 % · 1 file/);
  assert.match(breakdown, /Documents › Leases1 MB · 100\.0 % · 1 file/);
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-uploaded.png`), fullPage: true });
  assert.deepEqual(await lowContrast(page), []);
  check();
  await context.close();
});

test("the hook: uploadFile reports progress and resolves with Coffer's answer", async () => {
  const { context, page, check } = await openApp(FIX.main.token);
  await page.waitForFunction(() => window.cofferHook && window.cofferHook.quota);
  const out = await page.evaluate(async () => {
    const events = [];
    const head = "%PDF-1.4\n";
    const file = new File([head + "1".repeat(300000) + "\n%%EOF\n"], "contract.pdf", { type: "application/pdf" });
    const res = await window.cofferHook.uploadFile(file,
      { category: "documents", subcategory: "contracts", metadata: { deal: 7 }, onProgress: (p) => events.push(p) });
    return { res, events, size: file.size };
  });
  assert.ok(out.events.length >= 1);
  const last = out.events.at(-1);
  assert.equal(last.loaded, last.total);
  assert.equal(last.percent, 100);
  assert.ok(out.events.every((e, i) => i === 0 || e.loaded >= out.events[i - 1].loaded));
  assert.equal(out.res.fileSize, out.size);
  assert.match(out.res.filePath, /^customers\/[0-9a-f-]{36}\/documents\/contracts\/[0-9a-f-]{36}\.pdf$/);
  // The refresh after it: quota and stats moved, the seed's breakdown key.
  await page.waitForFunction((n) => window.cofferHook.stats?.recentUploads?.[0]?.fileName === "contract.pdf", out.size);
  const rows = await page.evaluate(() => window.cofferHook.stats.breakdown);
  assert.ok(rows.some((r) => r.category === "contracts" && r.parentCategory === "documents" && r.totalSize === out.size),
    JSON.stringify(rows));
  check();
  await context.close();
});

test("a 507 is shown to the person and reaches the hook with its figures", async () => {
  const { context, page, check } = await openApp(FIX.tight.token);
  await usage(page).waitFor();
  await fileInput(page).setInputFiles(pdf("big.pdf", 40 * 1024));
  const alert = page.getByRole("alert").filter({ hasText: "big.pdf" });
  await alert.waitFor();
  assert.match(await alert.textContent(),
    /^Not enough storage for “big\.pdf”\. It needs 40 KB; [\d.]+ KB is left\. Delete some files or upgrade your plan\.$/);
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-507.png`), fullPage: true });
  assert.deepEqual(await lowContrast(page), []);
  const err = await page.evaluate(async () => {
    try {
      await window.cofferHook.uploadFile(new File(["%PDF-1.4\n" + "2".repeat(50000) + "\n%%EOF\n"], "b.pdf"),
        { category: "documents" });
      return null;
    } catch (e) {
      return { name: e.name, code: e.code, status: e.status, needed: e.body.needed, limit: e.body.limit };
    }
  });
  assert.deepEqual({ ...err, limit: typeof err.limit }, { name: "CofferError", code: "QUOTA_EXCEEDED", status: 507,
    needed: 50000 + "%PDF-1.4\n".length + "\n%%EOF\n".length, limit: "number" });
  await page.waitForFunction(() => document.getElementById("probe").dataset.error === "QUOTA_EXCEEDED");
  check();
  await context.close();
});

test("a 415 is shown to the person with Coffer's code in the hook", async () => {
  const { context, page, check } = await openApp(FIX.main.token);
  await usage(page).waitFor();
  await fileInput(page).setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf",
    buffer: Buffer.from("#!/bin/sh\necho not a pdf\n".repeat(40)) });
  const alert = page.getByRole("alert").filter({ hasText: "invoice.pdf" });
  await alert.waitFor();
  assert.equal(await alert.textContent(),
    "“invoice.pdf” is not a type you can upload. Allowed: PDF, Word, Excel, JPEG, PNG and GIF.");
  const err = await page.evaluate(async () => {
    try {
      await window.cofferHook.uploadFile(new File(["MZ" + "\0".repeat(500)], "x.pdf"), { category: "documents" });
      return null;
    } catch (e) {
      return { code: e.code, status: e.status };
    }
  });
  assert.deepEqual(err, { code: "MIME_NOT_ALLOWED", status: 415 });
  check();
  await context.close();
});

test("near and at the limit: the seed's warnings, and the flags", async () => {
  const { context, page, check } = await openApp(FIX.near.token);
  await usage(page).waitFor();
  const warn = page.getByRole("status").filter({ hasText: "Storage almost full" });
  await warn.waitFor();
  assert.match(await warn.textContent(), /running low on storage space/);
  assert.equal(await warn.getByRole("link", { name: "Upgrade your plan" }).getAttribute("href"), "/upgrade");
  assert.equal(await page.locator("#probe").getAttribute("data-near"), "true");
  assert.equal(await page.locator("#probe").getAttribute("data-over"), "false");
  assert.equal(await page.locator(".coffer-dashboard").getAttribute("data-level"), "warn");
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-near.png`), fullPage: true });
  assert.deepEqual(await lowContrast(page), []);
  check();
  await context.close();
});

test("delete from the recent uploads, by keyboard", async () => {
  const { context, page, check } = await openApp(FIX.main.token);
  await usage(page).waitFor();
  await fileInput(page).setInputFiles(pdf("old.pdf", 2048));
  await page.getByText("“old.pdf” uploaded.").waitFor();
  // The probe is a second useStorage of its own: it sees the card's changes
  // after its own refresh (and the render that follows it).
  await page.evaluate(() => window.cofferHook.refresh());
  await page.waitForFunction(() => window.cofferHook.stats.recentUploads.some((u) => u.fileName === "old.pdf"));
  const before = await page.evaluate(() => window.cofferHook.quota.used);
  const button = page.getByRole("button", { name: "Delete old.pdf" });
  await button.waitFor();
  await button.focus();
  await page.keyboard.press("Enter");
  await page.getByText("“old.pdf” deleted.").waitFor();
  await page.waitForFunction(() => !document.querySelector(".coffer-recent")?.textContent.includes("old.pdf"));
  await page.evaluate(() => window.cofferHook.refresh());
  await page.waitForFunction((b) => window.cofferHook.quota.used === b - 2048, before);
  check();
  await context.close();
});

test("an expired token: the person is told to sign in again; a fresh token works at once", async () => {
  const { context, page, check } = await openApp(FIX.expired.token);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.first().textContent(), "Your session has expired. Sign in again to continue.");
  await page.waitForFunction(() => document.getElementById("probe").dataset.error === "TOKEN_EXPIRED");
  assert.equal(await usage(page).count(), 0);
  // The token getter is asked on every request: a renewed token is used.
  await page.evaluate((t) => { window.cofferToken = t; return window.cofferHook.refresh(); }, FIX.main.token);
  await page.waitForFunction(() => document.getElementById("probe").dataset.error === "");
  await page.waitForFunction(() => document.getElementById("probe").dataset.used !== "");
  check();
  await context.close();
});
