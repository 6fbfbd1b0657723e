// The dashboard reads the operator's categories from GET
// /api/storage/categories (issue 21): a category added with `cofferctl
// category add NAME --entity-id optional` appears in the upload form, its
// entity field is shown but may stay empty, and a file uploaded there is
// stored under it. tests/integration/test_categories.py starts this with:
//
//   COFFER_URL        https://127.0.0.1:PORT
//   COFFER_TOKEN      a member token of an empty customer
//   COFFER_CATEGORY   the operator's category (entity id optional)
//   CHROMIUM          browser binary (default /usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, launchChromium } from "./chromium.mjs";

const URL_BASE = process.env.COFFER_URL;
const TOKEN = process.env.COFFER_TOKEN;
const CATEGORY = process.env.COFFER_CATEGORY;
const SAMPLE_PDF = path.join(ROOT, "tests", "unit", "data", "sample.pdf");

assert.ok(URL_BASE && TOKEN && CATEGORY, "COFFER_URL, COFFER_TOKEN and COFFER_CATEGORY must be set");

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { if (browser) await browser.close(); });

test("an operator's category: in the form, entity optional, the upload stored under it", async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  const asked = [];
  page.on("request", (r) => asked.push(new URL(r.url()).pathname));
  await page.goto(`${URL_BASE}/app/#token=${encodeURIComponent(TOKEN)}`);
  await page.waitForSelector("body[data-ready]", { timeout: 15000 });
  assert.ok(asked.includes("/api/storage/categories"), asked.join(" "));
  const options = await page.$$eval("#up-category option", (os) => os.map((o) => o.value));
  assert.ok(options.includes(CATEGORY), options.join(" "));
  await page.selectOption("#up-category", CATEGORY);
  assert.equal(await page.isVisible("#up-entity"), true);
  assert.equal(await page.isDisabled("#up-subcategory"), true);
  // Optional: no entity, no refusal; the file goes to customers/ID/CATEGORY/.
  await page.setInputFiles("#file-input", SAMPLE_PDF);
  const item = page.locator(".upload-item").first();
  await item.locator("text=Uploaded").waitFor({ timeout: 15000 });
  assert.equal(await page.isVisible("#up-entity-error"), false);
  const res = await page.evaluate(async ([tok]) => {
    const r = await fetch("/api/storage/files", { headers: { Authorization: `Bearer ${tok}` } });
    return r.json();
  }, [TOKEN]);
  const f = res.data.files.find((x) => x.originalName === "sample.pdf");
  assert.ok(f, JSON.stringify(res));
  assert.equal(f.category, CATEGORY);
  assert.equal(f.entityId, null);
  assert.deepEqual(problems, []);
  await context.close();
});
