// @coffer/react in headless Chromium: a fresh app that installed the npm
// pack tarball, served from its own origin (APP_URL, plain HTTP), calling
// Coffer on another (COFFER_URL, HTTPS) through CORS. Started by
// tests/integration/test_clients.py with:
//
//   COFFER_URL, APP_URL    the API's and the app's origins
//   COFFER_CLIENT_FIXTURES JSON: main {token}, near {token} (85 % used),
//                          tight {token} (little room left), expired {token},
//                          tus {token, token2} (empty, two tokens of one
//                          user), full {token} (10 MiB limit, empty)
//   COFFER_CLIENT_FILES    JSON: card, resume: paths of two 20 MiB PDFs
//                          (different bytes) for the resumable uploads
//   COFFER_TEST_OUT        screenshots go to $COFFER_TEST_OUT/clients/,
//   COFFER_SHOTS           named COFFER_SHOTS-*.png (default react)
//   CHROMIUM               browser binary (default /usr/bin/chromium)
//
// What the server must hold afterwards (the tus route used, the objects
// byte-identical, usage) the pytest driver checks, from the file ids this
// writes to $COFFER_TEST_OUT/clients/COFFER_SHOTS-uploads.json.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, lowContrast, pdfOfSize } from "../web/chromium.mjs";

const API = process.env.COFFER_URL;
const APP = process.env.APP_URL;
const FIX = JSON.parse(process.env.COFFER_CLIENT_FIXTURES || "{}");
const OUT = path.join(process.env.COFFER_TEST_OUT || path.join(ROOT, "out"), "clients");
const SHOTS = process.env.COFFER_SHOTS || "react";
const FILES = JSON.parse(process.env.COFFER_CLIENT_FILES || "{}");
const MiB = 1024 * 1024;
assert.ok(API && APP, "COFFER_URL and APP_URL must be set");
assert.notEqual(new URL(API).origin, new URL(APP).origin, "the app must be on another origin");
mkdirSync(OUT, { recursive: true });

// File ids for the pytest driver's checks on the server.
const uploaded = {};
function record(key, value) {
  uploaded[key] = value;
  writeFileSync(path.join(OUT, `${SHOTS}-uploads.json`), JSON.stringify(uploaded, null, 2));
}

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
  const log = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  page.on("request", (r) => {
    requests.push(`${r.method()} ${r.url()}`);
    log.push(r);
  });
  await page.goto(`${APP}/#api=${encodeURIComponent(API)}&token=${encodeURIComponent(token)}`);
  const check = () => assert.deepEqual(problems, []);
  return { context, page, check, requests, log };
}

// The API requests in log (from index `from` on), preflights left out.
function apiCalls(log, from = 0) {
  return log.slice(from).filter((r) => r.url().startsWith(`${API}/api/`) && r.method() !== "OPTIONS");
}
const TUS = `${API}/api/storage/uploads`;
const creations = (calls) => calls.filter((r) => r.method() === "POST" && r.url() === TUS);
const patches = (calls) => calls.filter((r) => r.method() === "PATCH" && r.url().startsWith(`${TUS}/`));
const plainPosts = (calls) => calls.filter((r) => r.method() === "POST" && r.url() === `${API}/api/storage/upload`);

// Every aria-valuenow the card's upload bar takes, in order (window.seen).
async function watchUploadBar(page) {
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver((ms) => {
      for (const m of ms) {
        const v = m.target.getAttribute && m.target.getAttribute("aria-valuenow");
        if (v !== null && m.target.getAttribute("aria-label")?.startsWith("Upload of")) window.seen.push(Number(v));
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
  });
}

const nonDecreasing = (xs) => xs.every((x, i) => i === 0 || x >= xs[i - 1]);

// GET /api/storage/quota from the page, as the app's user: what the server
// holds now (the hook's state follows only after its next render).
function serverQuota(page) {
  return page.evaluate(async (api) => {
    const r = await fetch(`${api}/api/storage/quota`, { headers: { Authorization: `Bearer ${window.cofferToken}` } });
    return (await r.json()).data;
  }, API);
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
  assert.match(await usage(page).textContent(), /^0 Bytes of 5 GiB used$/);
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
  const { context, page, check, log } = await openApp(FIX.main.token);
  await usage(page).waitFor();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
  await watchUploadBar(page);
  await fileInput(page).setInputFiles(pdf("lease 2026.pdf", 1024 * 1024));
  await page.getByRole("progressbar", { name: "Upload of lease 2026.pdf" }).waitFor();
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-upload-progress.png`), fullPage: true });
  await page.getByText("“lease 2026.pdf” uploaded.").waitFor({ timeout: 30000 });
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((v) => v > 0 && v < 100), `no intermediate progress in ${seen}`);
  assert.equal(seen.at(-1), 100);
  // Below the threshold (8 MiB): one multipart POST, no tus.
  const calls = apiCalls(log);
  assert.equal(plainPosts(calls).length, 1);
  assert.deepEqual([...creations(calls), ...patches(calls)], []);
  await page.waitForFunction(() => document.querySelector(".coffer-usage-text").textContent === "1 MiB of 5 GiB used");
  const recent = page.locator(".coffer-recent-item", { hasText: "lease 2026.pdf" });
  await recent.waitFor();
  assert.match(await recent.textContent(), /1 MiB · Documents › Leases/);
  const breakdown = await page.locator(".coffer-breakdown").textContent();
  assert.match(breakdown, /Documents1 MiB · 100\.0 % · 1 file/);
  assert.match(breakdown, /Documents › Leases1 MiB · 100\.0 % · 1 file/);
  await page.screenshot({ path: path.join(OUT, `${SHOTS}-uploaded.png`), fullPage: true });
  assert.deepEqual(await lowContrast(page), []);
  check();
  await context.close();
});

test("the hook: uploadFile reports progress and resolves with Coffer's answer", async () => {
  const { context, page, check, log } = await openApp(FIX.main.token);
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
  const calls = apiCalls(log);
  assert.equal(plainPosts(calls).length, 1);
  assert.deepEqual([...creations(calls), ...patches(calls)], []);
  record("small", { fileId: out.res.fileId, filePath: out.res.filePath, size: out.size });
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
    /^Not enough storage for “big\.pdf”\. It needs 40 KiB; [\d.]+ KiB is left\. Delete some files or upgrade your plan\.$/);
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

// ---- resumable uploads (tus) above the threshold ---------------------------

test("a 20 MiB file through the card goes resumable: tus requests, the bar moves to 100, usage rises", async () => {
  const size = statSync(FILES.card).size;
  assert.equal(size, 20 * MiB);
  const { context, page, check, log } = await openApp(FIX.tus.token);
  await usage(page).waitFor();
  await watchUploadBar(page);
  const name = path.basename(FILES.card);
  await fileInput(page).setInputFiles(FILES.card);
  await page.getByText(`“${name}” uploaded.`).waitFor({ timeout: 120000 });
  const seen = await page.evaluate(() => window.seen);
  assert.ok(nonDecreasing(seen), `the bar went back: ${seen}`);
  assert.ok(seen.filter((v) => v > 0 && v < 100).length >= 4, `too few intermediate steps in ${seen}`);
  assert.equal(seen.at(-1), 100);
  // One creation, then the file in 4 MiB chunks; no multipart POST.
  const calls = apiCalls(log);
  assert.equal(creations(calls).length, 1);
  assert.equal(plainPosts(calls).length, 0);
  const offsets = patches(calls).map((r) => Number(r.headers()["upload-offset"]));
  assert.deepEqual(offsets, [0, 4, 8, 12, 16].map((n) => n * MiB));
  await page.waitForFunction(() => document.querySelector(".coffer-usage-text").textContent === "20 MiB of 5 GiB used");
  const recent = page.locator(".coffer-recent-item", { hasText: name });
  await recent.waitFor();
  assert.match(await recent.textContent(), /20 MiB · Documents › Leases/);
  // The probe (a useStorage of its own) sees it after its refresh renders.
  await page.evaluate(() => window.cofferHook.refresh());
  const row = await (await page.waitForFunction((n) =>
    window.cofferHook.stats?.recentUploads?.find((u) => u.fileName === n), name)).jsonValue();
  record("card", { fileId: row.fileId, filePath: row.filePath, size });
  check();
  await context.close();
});

test("the hook: a large upload aborted midway resumes from the server's offset, with a refreshed token", async () => {
  const size = statSync(FILES.resume).size;
  const { context, page, check, log } = await openApp(FIX.tus.token);
  await page.waitForFunction(() => window.cofferHook && window.cofferHook.quota);
  await page.locator("#pick").setInputFiles(FILES.resume);
  const attempt = (abortAt) => page.evaluate(async (abortAt) => {
    const file = document.getElementById("pick").files[0];
    const ac = new AbortController();
    const events = [];
    try {
      const res = await window.cofferHook.uploadFile(file, {
        category: "documents", subcategory: "contracts", metadata: { deal: 9 }, signal: ac.signal,
        onProgress: (p) => {
          events.push(p);
          if (abortAt && p.loaded >= abortAt) ac.abort();
          // What tus-js-client remembers just before the end (the third
          // attempt below puts it back, as if the last answer were lost).
          if (p.loaded === p.total) window.tusKept = Object.entries(localStorage).filter(([k]) => k.startsWith("tus::"));
        },
      });
      return { res, events };
    } catch (e) {
      return { error: { name: e.name, code: e.code, status: e.status }, events };
    }
  }, abortAt);

  // First attempt: aborted once 10 MiB are on their way.
  const first = await attempt(10 * MiB);
  assert.deepEqual(first.error, { name: "CofferError", code: "ABORTED", status: 0 });
  assert.ok(nonDecreasing(first.events.map((e) => e.loaded)));
  const created = creations(apiCalls(log));
  assert.equal(created.length, 1);
  const location = (await created[0].response()).headers()["location"];
  const uploadUrl = new URL(location, TUS).href;
  // The server keeps it, its space reserved, for the resume.
  assert.equal((await serverQuota(page)).reserved, size);

  // Second attempt, same file, after the token was refreshed.
  await page.evaluate((t) => { window.cofferToken = t; }, FIX.tus.token2);
  const mark = log.length;
  const second = await attempt(0);
  assert.equal(second.error, undefined, JSON.stringify(second.error));
  const calls = apiCalls(log, mark).filter((r) => r.url().startsWith(TUS));
  assert.deepEqual(creations(calls), [], "a new upload was created instead of resuming");
  assert.equal(calls[0].method(), "HEAD");
  assert.equal(calls[0].url(), uploadUrl);
  const resumedAt = Number((await calls[0].response()).headers()["upload-offset"]);
  assert.ok(resumedAt >= 8 * MiB && resumedAt < size, `resumed at ${resumedAt}`);
  const sent = patches(calls);
  assert.equal(Number(sent[0].headers()["upload-offset"]), resumedAt);
  // What the second attempt sent: the rest of the file, not all of it.
  let bytes = 0;
  for (const r of sent) bytes += Number((await r.allHeaders())["content-length"]);
  assert.equal(bytes, size - resumedAt);
  assert.ok(bytes < size);
  // Every request of the resume carried the new token.
  for (const r of calls) {
    assert.equal((await r.allHeaders())["authorization"], `Bearer ${FIX.tus.token2}`, `${r.method()} ${r.url()}`);
  }
  // Progress starts where the server stood and ends at the total.
  const loaded = second.events.map((e) => e.loaded);
  assert.equal(loaded[0], resumedAt, String(loaded));
  assert.ok(nonDecreasing(loaded), String(loaded));
  assert.deepEqual(second.events.at(-1), { loaded: size, total: size, percent: 100 });
  // The plain upload's answer; the upload's id is the file's.
  const res = second.res;
  assert.equal(res.success, true);
  assert.equal(res.fileSize, size);
  assert.equal(uploadUrl, `${TUS}/${res.fileId}`);
  assert.match(res.filePath, /^customers\/[0-9a-f-]{36}\/documents\/contracts\/[0-9a-f-]{36}\.pdf$/);
  assert.equal(typeof res.fileUrl, "string");
  record("resumed", { fileId: res.fileId, filePath: res.filePath, size, resumedAt });
  assert.equal((await serverQuota(page)).reserved, 0);

  // A finished upload is forgotten: the same file again would be a new one.
  const stored = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("tus::")).length);
  assert.equal(await stored(), 0);
  // Unless its last answer was lost: then the browser still remembers it,
  // and the same file again finds it complete (HEAD: offset = length, the
  // file named in headers), sending nothing.
  assert.equal(await page.evaluate(() => window.tusKept.length), 1);
  await page.evaluate(() => { for (const [k, v] of window.tusKept) localStorage.setItem(k, v); });
  const mark3 = log.length;
  const third = await attempt(0);
  assert.equal(third.error, undefined, JSON.stringify(third.error));
  assert.deepEqual(apiCalls(log, mark3).filter((r) => r.url().startsWith(TUS)).map((r) => `${r.method()} ${r.url()}`),
    [`HEAD ${uploadUrl}`]);
  assert.deepEqual([third.res.fileId, third.res.filePath, third.res.fileSize], [res.fileId, res.filePath, size]);
  assert.deepEqual(third.events.at(-1), { loaded: size, total: size, percent: 100 });
  assert.equal(await stored(), 0);
  check();
  await context.close();
});

test("terminateOnAbort: an aborted resumable upload is deleted on the server, its space given back", async () => {
  const size = statSync(FILES.card).size;
  const { context, page, check, log } = await openApp(FIX.main.token);
  await page.waitForFunction(() => window.cofferHook && window.cofferHook.quota);
  const before = await serverQuota(page);
  await page.locator("#pick").setInputFiles(FILES.card);
  // (A chunk the server is still writing holds the upload: 409, and
  // tus-js-client asks again; the 204 is what counts.)
  const deleted = page.waitForResponse((r) => r.request().method() === "DELETE" &&
    r.url().startsWith(`${TUS}/`) && r.status() === 204);
  const err = await page.evaluate(async () => {
    const ac = new AbortController();
    try {
      await window.cofferHook.uploadFile(document.getElementById("pick").files[0], {
        category: "documents", signal: ac.signal, terminateOnAbort: true,
        onProgress: (p) => { if (p.loaded >= 4 * 1024 * 1024) ac.abort(); },
      });
      return null;
    } catch (e) {
      return e.code;
    }
  });
  assert.equal(err, "ABORTED");
  await deleted;
  const q = await serverQuota(page);
  assert.deepEqual([q.used, q.reserved], [before.used, 0]);
  assert.equal(creations(apiCalls(log)).length, 1);
  assert.ok(size > 4 * 1024 * 1024);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("tus::")).length), 0);
  check();
  await context.close();
});

test("a large file that does not fit: 507 at the creation, no chunk sent, nothing charged", async () => {
  const size = statSync(FILES.card).size;
  const { context, page, check, log } = await openApp(FIX.full.token);
  await usage(page).waitFor();
  await fileInput(page).setInputFiles(FILES.card);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(),
    /^Not enough storage for “.+\.pdf”\. It needs 20 MiB; 10 MiB is left\. Delete some files or upgrade your plan\.$/);
  await page.locator("#pick").setInputFiles(FILES.card);
  const err = await page.evaluate(async () => {
    try {
      await window.cofferHook.uploadFile(document.getElementById("pick").files[0], { category: "documents" });
      return null;
    } catch (e) {
      return { name: e.name, code: e.code, status: e.status, needed: e.body.needed };
    }
  });
  assert.deepEqual(err, { name: "CofferError", code: "QUOTA_EXCEEDED", status: 507, needed: size });
  const calls = apiCalls(log);
  assert.equal(creations(calls).length, 2);
  assert.deepEqual(patches(calls), []);
  assert.deepEqual(plainPosts(calls), []);
  const q = await serverQuota(page);
  assert.deepEqual([q.used, q.reserved], [0, 0]);
  check();
  await context.close();
});

test("resumable refusals carry Coffer's codes: 413 over the plan's file maximum, 415 on the bytes", async () => {
  const tight = await openApp(FIX.tight.token);
  await tight.page.waitForFunction(() => window.cofferHook && window.cofferHook.quota);
  const tooLarge = await tight.page.evaluate(async () => {
    try {
      // 100 KiB: the plan allows 64 KiB a file; threshold 1 sends it over tus.
      await window.cofferHook.uploadFile(new File(["%PDF-1.4\n" + "3".repeat(100 * 1024) + "\n%%EOF\n"], "t.pdf"),
        { category: "documents", resumableThreshold: 1 });
      return null;
    } catch (e) {
      return { code: e.code, status: e.status };
    }
  });
  assert.deepEqual(tooLarge, { code: "FILE_TOO_LARGE", status: 413 });
  let calls = apiCalls(tight.log);
  assert.equal(creations(calls).length, 1);
  assert.deepEqual([...patches(calls), ...plainPosts(calls)], []);
  tight.check();
  await tight.context.close();

  const main = await openApp(FIX.main.token);
  await main.page.waitForFunction(() => window.cofferHook && window.cofferHook.quota);
  const refused = await main.page.evaluate(async () => {
    try {
      await window.cofferHook.uploadFile(new File(["#!/bin/sh\necho not a pdf\n".repeat(400)], "x.pdf"),
        { category: "documents", resumableThreshold: 1 });
      return null;
    } catch (e) {
      return { code: e.code, status: e.status };
    }
  });
  assert.deepEqual(refused, { code: "MIME_NOT_ALLOWED", status: 415 });
  calls = apiCalls(main.log);
  assert.equal(creations(calls).length, 1);
  assert.equal(patches(calls).length, 1);
  // The refused upload gave its reservation back.
  assert.equal((await serverQuota(main.page)).reserved, 0);
  main.check();
  await main.context.close();
});
