// The storage dashboard end to end in headless Chromium, against a real
// stack (nginx, cofferd, PostgreSQL). tests/integration/test_web.py starts
// this with the stack's URL and the customers it made:
//
//   COFFER_URL            https://127.0.0.1:PORT
//   COFFER_WEB_FIXTURES   JSON {name: {id, token}} for the customers below
//   COFFER_TEST_OUT       output directory; screenshots go to $COFFER_TEST_OUT/web/
//   CHROMIUM              browser binary (default /usr/bin/chromium)
//
// Customers: main (starter, empty), near (85 % of a small limit), full (at
// its limit), unlimited (enterprise), paged (12 files), suspended; besides
// them a platform token and bad (a token that is refused).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, lowContrast, pdfOfSize } from "./chromium.mjs";

const URL_BASE = process.env.COFFER_URL;
const FIX = JSON.parse(process.env.COFFER_WEB_FIXTURES || "{}");
const OUT = path.join(process.env.COFFER_TEST_OUT || path.join(ROOT, "out"), "web");
const SAMPLE_PDF = path.join(ROOT, "tests", "unit", "data", "sample.pdf");
const APP = `${URL_BASE}/app/`;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

assert.ok(URL_BASE, "COFFER_URL is not set");
mkdirSync(OUT, { recursive: true });

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

// A fresh browser context (so a fresh sessionStorage) and page. Collects
// script errors, console errors and CSP violations; `check()` asserts none.
async function openPage({ token, viewport = DESKTOP, mobile = false, hash, setup } = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, viewport, isMobile: mobile, hasTouch: mobile,
  });
  const page = await context.newPage();
  if (setup) await setup(page);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // HTTP errors the page expects (the download-link probe, refused
    // uploads) are logged by Chromium as "Failed to load resource"; the page
    // turns those into sentences, which the tests check.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${m.text()}`);
    }
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const frag = hash !== undefined ? hash : token ? `#token=${encodeURIComponent(token)}` : "";
  await page.goto(APP + frag);
  if (token) await ready(page);
  const check = async () => {
    const csp = await page.evaluate(() => window.__csp);
    assert.deepEqual([...problems, ...csp.map((c) => `csp: ${c}`)], []);
  };
  return { context, page, check };
}

async function ready(page) {
  await page.waitForSelector("body[data-ready]", { timeout: 15000 });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

const usageText = (page) => page.textContent("#usage-text");
const statusText = (page) => page.textContent("#status");

async function waitForUsage(page, text) {
  await page.waitForFunction((t) => document.getElementById("usage-text").textContent === t, text,
    { timeout: 10000 });
}

// Controls without an accessible name (a label, aria-label or text).
async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll("input, select, button, [role=progressbar]")]
    .filter((el) => !el.closest("[hidden]"))
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
      && !el.getAttribute("aria-labelledby") && !el.textContent.trim())
    .map((el) => el.outerHTML.slice(0, 80)));
}

// ---- credentials --------------------------------------------------------

test("token from the URL fragment: used, removed from the address bar, kept in this tab only", async () => {
  const { context, page, check } = await openPage({ token: FIX.main.token });
  assert.equal(new URL(page.url()).hash, "");
  assert.equal(await page.evaluate(() => window.location.href.includes("token")), false);
  const stored = await page.evaluate(() => ({
    session: Object.keys(sessionStorage), local: localStorage.length, cookie: document.cookie,
  }));
  assert.deepEqual(stored, { session: ["coffer.dashboard.token"], local: 0, cookie: "" });
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await usageText(page), "0 Bytes of 5 GB used");
  assert.match(await page.textContent("#identity-text"), /^web-main \(admin\)/);
  // A reload in the same tab keeps working (sessionStorage), with no fragment.
  await page.reload();
  await ready(page);
  assert.equal(await usageText(page), "0 Bytes of 5 GB used");
  await shot(page, "desktop-empty");
  await check();
  await context.close();
});

test("pasted token: a refused one is explained, a good one opens the dashboard, Forget clears it", async () => {
  const { context, page, check } = await openPage();
  assert.equal(await page.isVisible("#token-section"), true);
  assert.equal(await page.isVisible("#dashboard"), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), "token-input");
  await page.fill("#token-input", FIX.bad.token);
  await page.press("#token-input", "Enter");
  await page.waitForSelector("#token-error:not([hidden])");
  assert.match(await page.textContent("#token-error"), /not accepted|expired/);
  await shot(page, "desktop-token-refused");
  await page.fill("#token-input", `Bearer ${FIX.main.token}`);
  await page.click("#token-section button[type=submit]");
  await ready(page);
  assert.equal(await page.isVisible("#token-section"), false);
  await page.click("#forget-token");
  await page.waitForSelector("#token-section:not([hidden])");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await check();
  await context.close();
});

test("postMessage: an embedding page of a trusted origin hands the token over", async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: DESKTOP });
  const page = await context.newPage();
  // A same-origin "SaaS" page framing the dashboard: it waits for
  // coffer:ready, sends a bad token, and on coffer:token-rejected the good one.
  const host = `${URL_BASE}/embed-test.html`;
  await page.route(host, (route) => route.fulfill({
    contentType: "text/html",
    body: `<!doctype html><title>host</title><iframe id="f" src="/app/" width="1000" height="700"></iframe>
<script>
window.log = [];
window.addEventListener("message", (e) => {
  if (e.origin !== location.origin) return;
  window.log.push(e.data.type);
  const f = document.getElementById("f").contentWindow;
  if (e.data.type === "coffer:ready") f.postMessage({type: "coffer:token", token: ${JSON.stringify(FIX.bad.token)}}, location.origin);
  if (e.data.type === "coffer:token-rejected") f.postMessage({type: "coffer:token", token: ${JSON.stringify(FIX.main.token)}}, location.origin);
});
</script>`,
  }));
  await page.goto(host);
  const frame = page.frameLocator("#f");
  await frame.locator("body[data-ready]").waitFor({ timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => window.log), ["coffer:ready", "coffer:token-rejected"]);
  assert.equal(await frame.locator("#usage-text").textContent(), "0 Bytes of 5 GB used");
  await context.close();
});

test("suspended customer: its own token gets the sentence; an operator sees the account", async () => {
  const own = await openPage({ hash: `#token=${encodeURIComponent(FIX.suspended.token)}` });
  await own.page.waitForSelector("#token-error:not([hidden])");
  assert.equal(await own.page.textContent("#token-error"), "This storage account is suspended. Contact your administrator.");
  // Not the token's fault: kept for a retry.
  assert.equal(await own.page.inputValue("#token-input"), FIX.suspended.token);
  assert.equal(await own.page.evaluate(() => sessionStorage.length), 1);
  await own.check();
  await own.context.close();

  // A platform token names the customer in the fragment (Coffer-Customer).
  const op = await openPage({
    hash: `#token=${encodeURIComponent(FIX.platform.token)}&customer=${FIX.suspended.id}`,
  });
  await ready(op.page);
  assert.match(await op.page.textContent("#identity-text"), /^web-ops \(platform\) · customer /);
  assert.equal(await op.page.textContent("#usage-alert-title"), "Storage suspended");
  await shot(op.page, "desktop-suspended-operator");
  await op.check();
  await op.context.close();
});

// ---- upload, usage, delete ------------------------------------------------

test("upload a PDF with the picker: progress bar to 100 %, usage rises, file listed", async () => {
  const { context, page, check } = await openPage({ token: FIX.main.token });
  const before = await usageText(page);
  await page.selectOption("#up-category", "documents");
  await page.selectOption("#up-subcategory", "leases");
  await page.setInputFiles("#file-input", SAMPLE_PDF);
  const item = page.locator(".upload-item").first();
  await item.locator("text=Uploaded").waitFor();
  const bar = item.locator("[role=progressbar]");
  assert.equal(await bar.getAttribute("aria-valuenow"), "100");
  assert.equal(await bar.getAttribute("aria-label"), "Upload of sample.pdf");
  await waitForUsage(page, "1.46 KB of 5 GB used");
  assert.notEqual(before, await usageText(page));
  assert.match(await statusText(page), /“sample\.pdf” uploaded/);
  const row = page.locator("#file-rows tr", { hasText: "sample.pdf" });
  await row.waitFor();
  assert.match(await row.textContent(), /Documents › Leases/);
  assert.match(await page.textContent("#recent-list"), /sample\.pdf/);
  assert.match(await page.locator("#chart-category title").textContent(), /Documents: 1\.46 KB \(100\.0%\)/);
  // Both levels: the subcategory chart and the recent uploads name the lease.
  assert.match(await page.locator("#chart-subcategory title").textContent(),
    /Documents › Leases: 1\.46 KB \(100\.0%\)/);
  assert.match(await page.textContent("#recent-list"), /Documents › Leases/);
  await check();
  await context.close();
});

test("upload by drag and drop into a category with an entity, watching the progress bar move", async () => {
  const { context, page, check } = await openPage({ token: FIX.main.token });
  await page.selectOption("#up-category", "properties");
  assert.equal(await page.isVisible("#up-entity"), true);
  assert.equal(await page.textContent("#up-entity-label"), "Property ID");
  // No entity yet: the drop is refused with a sentence, nothing is sent.
  const drop = async (name, size) => {
    const dt = await page.evaluateHandle(([n, s]) => {
      const d = new DataTransfer();
      const head = "%PDF-1.4\n";
      d.items.add(new File([head + "0".repeat(s - head.length - 7) + "\n%%EOF\n"], n, { type: "application/pdf" }));
      return d;
    }, [name, size]);
    for (const type of ["dragenter", "dragover", "drop"]) {
      await page.dispatchEvent("#dropzone", type, { dataTransfer: dt });
    }
  };
  await drop("plan.pdf", 4096);
  await page.waitForSelector("#up-entity-error:not([hidden])");
  assert.match(await page.textContent("#up-entity-error"), /Enter the Property ID/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "up-entity");
  assert.equal(await page.locator(".upload-item").count(), 0);

  await page.fill("#up-entity", "prop-7");
  await page.selectOption("#up-subcategory", "floor-plans");
  // Slow the upload down so that the bar has something to show.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
  await page.evaluate(() => {
    window.__progress = [];
    new MutationObserver((ms) => {
      for (const m of ms) window.__progress.push(Number(m.target.getAttribute("aria-valuenow")));
    }).observe(document.getElementById("upload-list"), { subtree: true, attributeFilter: ["aria-valuenow"] });
  });
  const usedBefore = await usageText(page);
  await drop("floor plan.pdf", 1024 * 1024);
  const item = page.locator(".upload-item", { hasText: "floor plan.pdf" });
  await item.locator("[role=progressbar][aria-valuenow]:not([aria-valuenow='0'])").waitFor();
  await shot(page, "desktop-upload-progress");
  await item.locator("text=Uploaded").waitFor({ timeout: 30000 });
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.some((v) => v > 0 && v < 100), `no intermediate progress in ${seen}`);
  assert.equal(seen.at(-1), 100);
  await page.waitForFunction((u) => document.getElementById("usage-text").textContent !== u, usedBefore);
  const row = page.locator("#file-rows tr", { hasText: "floor plan.pdf" });
  await row.waitFor();
  assert.match(await row.textContent(), /Properties › prop-7 › Floor plans/);
  await check();
  await context.close();
});

test("delete asks first; Cancel and Escape keep the file, Delete removes it and usage falls", async () => {
  const { context, page, check } = await openPage({ token: FIX.main.token });
  const quota = () => page.evaluate(async () => {
    const t = JSON.parse(sessionStorage.getItem("coffer.dashboard.token")).token;
    const r = await fetch("/api/storage/quota", { headers: { Authorization: `Bearer ${t}` } });
    return (await r.json()).data;
  });
  const row = page.locator("#file-rows tr", { hasText: "floor plan.pdf" });
  const del = row.locator("button", { hasText: "Delete" });
  const before = await quota();
  assert.equal(await usageText(page), `${before.usedFormatted} of 5 GB used`);
  await del.click();
  const dialog = page.locator("#confirm-dialog");
  await dialog.waitFor();
  assert.equal(await page.textContent("#confirm-title"), "Delete “floor plan.pdf”?");
  assert.equal(await page.textContent("#confirm-text"), "This frees 1 MB. A deleted file can't be restored.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-cancel");
  await shot(page, "desktop-delete-confirm");
  await page.click("#confirm-cancel");
  assert.equal(await dialog.isVisible(), false);
  // Back where it was, and again by keyboard, Escape this time.
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Delete floor plan.pdf");
  await page.keyboard.press("Enter");
  await dialog.waitFor();
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm-dialog:not([open])", { state: "attached" });
  assert.equal(await row.count(), 1);
  assert.equal((await quota()).used, before.used);

  // Cancel and reopen in the same moment: the first closing must not close
  // the second dialog (its close event arrives after the reopening).
  await del.click();
  await dialog.waitFor();
  await page.evaluate(() => {
    document.getElementById("confirm-cancel").click();
    document.querySelector('#file-rows button[aria-label="Delete floor plan.pdf"]').click();
  });
  await page.waitForTimeout(300);
  assert.equal(await dialog.isVisible(), true);
  await page.click("#confirm-delete");
  await page.waitForFunction(() => /Deleted “floor plan\.pdf”; 1 MB freed/.test(document.getElementById("status").textContent));
  await row.waitFor({ state: "detached" });
  const after = await quota();
  assert.equal(after.used, before.used - 1024 * 1024);
  await waitForUsage(page, `${after.usedFormatted} of 5 GB used`);
  assert.equal(await usageText(page), "1.46 KB of 5 GB used");
  await check();
  await context.close();
});

// ---- the usage bar's states ----------------------------------------------

test("near the limit: warning; a file that does not fit: the quota sentence, nothing charged", async () => {
  const { context, page, check } = await openPage({ token: FIX.near.token });
  assert.equal(await page.getAttribute("#usage", "data-level"), "warning");
  assert.equal(await page.textContent("#usage-pct"), "85.0%");
  assert.equal(await page.textContent("#usage-alert-title"), "Storage almost full");
  assert.match(await page.textContent("#usage-alert-text"), /running low on storage space/);
  assert.equal(await page.getAttribute("#usage-bar", "aria-valuenow"), "85");
  await shot(page, "desktop-warning");
  const usedBefore = await usageText(page);

  await page.setInputFiles("#file-input", { name: "survey.pdf", mimeType: "application/pdf", buffer: pdfOfSize(20 * 1024) });
  const item = page.locator(".upload-item", { hasText: "survey.pdf" });
  await page.waitForSelector('.upload-item[data-state="error"]');
  const sentence = await item.locator(".upload-state").textContent();
  assert.equal(sentence,
    "Not enough storage for “survey.pdf”. It needs 20 KB and 15 KB is free. Delete some files or upgrade your plan.");
  assert.equal(await statusText(page), sentence);

  // A type the service refuses, and one larger than the plan allows.
  await page.setInputFiles("#file-input", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("just some notes\n") });
  const txt = page.locator(".upload-item", { hasText: "notes.txt" });
  await txt.locator(".upload-state", { hasText: "can't be stored here" }).waitFor();
  assert.match(await txt.locator(".upload-state").textContent(), /^“notes\.txt” is a kind of file that can't be stored here \(it is text\/plain\)\./);
  await page.setInputFiles("#file-input", { name: "scan.pdf", mimeType: "application/pdf", buffer: pdfOfSize(70 * 1024) });
  const big = page.locator(".upload-item", { hasText: "scan.pdf" });
  await big.locator(".upload-state", { hasText: "too large" }).waitFor();
  assert.equal(await big.locator(".upload-state").textContent(), "“scan.pdf” is too large: your plan accepts files up to 64 KB.");
  await shot(page, "desktop-upload-errors");
  assert.equal(await usageText(page), usedBefore);
  await check();

  await page.setViewportSize(PHONE);
  await shot(page, "phone-upload-errors");
  await context.close();
});

test("at the limit: the full notice with the upgrade prompt", async () => {
  const { context, page, check } = await openPage({ token: FIX.full.token });
  assert.equal(await page.getAttribute("#usage", "data-level"), "full");
  assert.equal(await page.textContent("#usage-pct"), "100.0%");
  assert.equal(await page.textContent("#usage-alert-title"), "Storage full");
  assert.equal(await page.textContent("#usage-alert-text"),
    "You have reached your storage limit. Please upgrade your plan or delete some files.");
  assert.equal(await page.textContent("#usage-available"), "0 Bytes");
  await shot(page, "desktop-full");
  await check();
  await context.close();
});

test("unlimited plan: shown as such, no bar, no percentage", async () => {
  const { context, page, check } = await openPage({ token: FIX.unlimited.token });
  assert.equal(await usageText(page), "1.46 KB used · Unlimited storage");
  assert.equal(await page.isVisible("#usage-bar"), false);
  assert.equal(await page.textContent("#usage-pct"), "");
  assert.equal(await page.textContent("#usage-available"), "Unlimited");
  assert.equal(await page.isVisible("#usage-alert"), false);
  await shot(page, "desktop-unlimited");
  await check();
  await context.close();
});

// ---- list: filters, pages ----------------------------------------------

test("file list: cursor pages forward and back, filters by category, entity and type", async () => {
  const { context, page, check } = await openPage({ token: FIX.paged.token });
  const names = () => page.$$eval("#file-rows th", (ths) => ths.map((t) => t.textContent));
  assert.equal((await names()).length, 12);
  const all = await names();
  await page.selectOption("#f-limit", "10");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#file-rows tr").length === 10);
  const first = await names();
  assert.deepEqual(first, all.slice(0, 10));
  assert.equal(await page.isDisabled("#page-prev"), true);
  await page.click("#page-next");
  await page.waitForFunction(() => document.getElementById("page-label").textContent === "Page 2");
  assert.deepEqual(await names(), all.slice(10));
  assert.equal(await page.evaluate(() => document.activeElement.id), "files-heading");
  assert.equal(await page.isDisabled("#page-next"), true);
  await page.click("#page-prev");
  await page.waitForFunction(() => document.getElementById("page-label").textContent === "Page 1");
  assert.deepEqual(await names(), first);

  await page.selectOption("#f-category", "properties");
  await page.selectOption("#f-subcategory", "photos");
  await page.fill("#f-entity", "house-1");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("page-label").textContent === "Page 1");
  await page.waitForFunction(() => [...document.querySelectorAll("#file-rows td.where")]
    .every((td) => td.textContent === "Properties › house-1 › Photos"));
  assert.equal((await names()).length, 4);
  await page.selectOption("#f-type", "image");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#file-rows tr").length === 2);
  // A malformed entity id is caught before any request.
  await page.fill("#f-entity", "../etc");
  await page.click("#filter-form button[type=submit]");
  await page.waitForSelector("#f-entity-error:not([hidden])");
  await page.click("#filter-form button[type=reset]");
  await page.waitForFunction(() => document.querySelectorAll("#file-rows tr").length === 12);
  // Downloads: shown only when the server has GET /api/storage/files/{id}/url.
  const probe = await page.evaluate(async () => {
    const t = JSON.parse(sessionStorage.getItem("coffer.dashboard.token")).token;
    const id = document.querySelector("#file-rows tr").dataset.id;
    const r = await fetch(`/api/storage/files/${id}/url`, { headers: { Authorization: `Bearer ${t}` } });
    return r.status;
  });
  const buttons = await page.locator("#file-rows button", { hasText: "Download" }).count();
  if (probe === 200) assert.equal(buttons, 12);
  else {
    assert.equal(buttons, 0);
    assert.equal(await page.isVisible("#downloads-note"), true);
  }
  await shot(page, "desktop-files");
  await check();
  await context.close();
});

// Answers GET /api/storage/files/{id}/url itself, after `delay` ms, as the
// API does ({url, expiresAt, expiresIn}); `status` 404 NOT_FOUND is what a
// server without that route says.
function fakeLinks(page, { delay = 0, status = 200 } = {}) {
  const seen = [];
  return page.route(/\/api\/storage\/files\/[0-9a-f-]+\/url$/, async (route) => {
    const id = route.request().url().split("/").at(-2);
    seen.push(id);
    await new Promise((r) => setTimeout(r, delay));
    const body = status === 200
      ? { success: true, data: { url: `/app/favicon.svg?file=${id}`, expiresAt: "2030-01-01T00:00:00Z", expiresIn: 300 } }
      : { success: false, error: "No such endpoint", code: "NOT_FOUND" };
    await route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
  }).then(() => seen);
}

test("download: a button per file once the link endpoint answers; it opens the signed link", async () => {
  let seen;
  const { context, page, check } = await openPage({
    token: FIX.paged.token, setup: async (p) => { seen = await fakeLinks(p); },
  });
  const buttons = page.locator("#file-rows button", { hasText: "Download" });
  await page.waitForFunction(() => document.querySelectorAll("#file-rows button").length === 24);
  assert.equal(await buttons.count(), 12);
  assert.equal(await page.isVisible("#downloads-note"), false);
  const row = page.locator("#file-rows tr").first();
  const id = await row.getAttribute("data-id");
  const [popup] = await Promise.all([context.waitForEvent("page"), row.locator("button", { hasText: "Download" }).click()]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), `${URL_BASE}/app/favicon.svg?file=${id}`);
  assert.equal(seen.at(-1), id);
  assert.match(await statusText(page), /^Downloading “/);
  await popup.close();
  await check();
  await context.close();
});

test("a late answer from the link endpoint leaves the keyboard focus where it was", async () => {
  for (const status of [404, 200]) {
    const { context, page, check } = await openPage({
      token: FIX.paged.token, setup: (p) => fakeLinks(p, { delay: 1500, status }),
    });
    const del = page.locator("#file-rows tr").nth(3).locator("button", { hasText: "Delete" });
    await del.focus();
    const label = await del.getAttribute("aria-label");
    const settled = status === 200
      ? () => document.querySelectorAll("#file-rows button").length === 24
      : () => !document.getElementById("downloads-note").hidden;
    await page.waitForFunction(settled, null, { timeout: 10000 });
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), label, `status ${status}`);
    await check();
    await context.close();
  }
});

// ---- keyboard, accessibility, phone --------------------------------------

test("keyboard only: Tab reaches the upload control, which opens the file chooser", async () => {
  const { context, page, check } = await openPage({ token: FIX.main.token });
  await page.evaluate(() => document.activeElement.blur());
  const path = [];
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement.id || document.activeElement.tagName);
    path.push(id);
    if (id === "file-input") break;
  }
  assert.equal(path.at(-1), "file-input", `Tab order: ${path.join(" → ")}`);
  // Its label shows the focus.
  const outline = await page.$eval(".file-button", (l) => getComputedStyle(l).outlineStyle);
  assert.equal(outline, "solid");
  await shot(page, "desktop-keyboard-focus");
  assert.equal(await page.evaluate(() => document.activeElement.id), "file-input");
  // Listening before the key is pressed (and one round trip for the
  // browser to take that in); Space on a file input opens the chooser.
  const chosen = page.waitForEvent("filechooser", { timeout: 10000 });
  await page.evaluate(() => 0);
  await page.keyboard.press("Space");
  const chooser = await chosen;
  assert.equal(chooser.isMultiple(), true);
  await chooser.setFiles(SAMPLE_PDF);
  await page.locator(".upload-item", { hasText: "sample.pdf" }).locator("text=Uploaded").waitFor();
  await check();
  await context.close();
});

test("contrast at least 4.5:1 and every control named, in every state", async () => {
  for (const [name, who] of [["main", FIX.main], ["near", FIX.near], ["full", FIX.full], ["paged", FIX.paged]]) {
    for (const [vp, mobile] of [[DESKTOP, false], [PHONE, true]]) {
      const { context, page, check } = await openPage({ token: who.token, viewport: vp, mobile });
      // A refused upload too, for the error colours.
      await page.setInputFiles("#file-input", { name: "x.txt", mimeType: "text/plain", buffer: Buffer.from("x\n") });
      await page.waitForSelector('.upload-item[data-state="error"]');
      assert.deepEqual(await lowContrast(page), [], `${name} ${vp.width}px`);
      assert.deepEqual(await unlabelled(page), [], `${name} ${vp.width}px`);
      await check();
      await context.close();
    }
  }
  const { context, page } = await openPage();
  assert.deepEqual(await lowContrast(page), []);
  await context.close();
});

test("phone-sized screen: one column, nothing wider than the screen", async () => {
  for (const [name, who] of [["files", FIX.paged], ["warning", FIX.near], ["full", FIX.full]]) {
    const { context, page, check } = await openPage({ token: who.token, viewport: PHONE, mobile: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: page is ${overflow}px wider than the screen`);
    const cols = await page.$eval("#dashboard", (d) => getComputedStyle(d).gridTemplateColumns.split(" ").length);
    assert.equal(cols, 1);
    await shot(page, `phone-${name}`);
    await page.screenshot({ path: path.join(OUT, `phone-${name}-top.png`) });
    await check();
    await context.close();
  }
  const { context, page } = await openPage({ viewport: PHONE, mobile: true });
  await shot(page, "phone-token");
  await context.close();
});
