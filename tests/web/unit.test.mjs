// The dashboard's pure modules (no DOM) under node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, formatPercent, usageState, humanize, entityIdOk } from "../../web/js/format.js";
import { explain, isAuthError } from "../../web/js/messages.js";
import { normalize } from "../../web/js/token.js";
import { groupBy } from "../../web/js/chart.js";

test("formatBytes writes sizes like the API's *Formatted strings", () => {
  assert.equal(formatBytes(0), "0 Bytes");
  assert.equal(formatBytes(82), "82 Bytes");
  assert.equal(formatBytes(1496), "1.46 KiB");
  assert.equal(formatBytes(1578), "1.54 KiB");
  assert.equal(formatBytes(15 * 1024), "15 KiB");
  assert.equal(formatBytes(50 * 1024 * 1024), "50 MiB");
  assert.equal(formatBytes(5 * 1024 ** 3), "5 GiB");
  assert.equal(formatBytes(-1), "0 Bytes");
  assert.equal(formatBytes(NaN), "0 Bytes");
});

test("formatPercent never rounds a share to 0 % or 100 %", () => {
  assert.equal(formatPercent(0), "0.0%");
  assert.equal(formatPercent(0.00003), "<0.1%");
  assert.equal(formatPercent(85), "85.0%");
  assert.equal(formatPercent(99.97), ">99.9%");
  assert.equal(formatPercent(100), "100.0%");
  assert.equal(formatPercent(null), "");
});

test("usageState: the seed's thresholds, unlimited apart", () => {
  const q = (used, limit) => ({ used, limit, unlimited: limit == null });
  assert.equal(usageState(q(0, 100)).level, "normal");
  assert.equal(usageState(q(80, 100)).level, "normal");
  assert.equal(usageState(q(81, 100)).level, "warning");
  assert.equal(usageState(q(99, 100)).level, "warning");
  assert.equal(usageState(q(100, 100)).level, "full");
  assert.equal(usageState(q(120, 100)).pct, 100);
  assert.equal(usageState(q(5, 0)).level, "full");
  const u = usageState(q(10 ** 15, null));
  assert.equal(u.unlimited, true);
  assert.equal(u.pct, null);
  assert.equal(u.level, "normal");
});

test("humanize and entityIdOk follow the taxonomy's slugs and the API's entity rule", () => {
  assert.equal(humanize("floor-plans"), "Floor plans");
  assert.equal(humanize("id-documents"), "Id documents");
  assert.equal(entityIdOk("prop-1"), true);
  assert.equal(entityIdOk("_x"), true);
  assert.equal(entityIdOk("-x"), false);
  assert.equal(entityIdOk("../x"), false);
  assert.equal(entityIdOk("a".repeat(64)), true);
  assert.equal(entityIdOk("a".repeat(65)), false);
  assert.equal(entityIdOk(""), false);
});

test("error codes become sentences", () => {
  const e = (status, body) => ({ status, code: body ? body.code : null, body });
  assert.equal(
    explain(e(507, { code: "QUOTA_EXCEEDED", used: 87040, reserved: 0, limit: 102400, needed: 20480 }),
      { name: "a.pdf", action: "upload" }),
    "Not enough storage for “a.pdf”. It needs 20 KiB and 15 KiB is free. Delete some files or upgrade your plan.");
  assert.equal(explain(e(507, { code: "QUOTA_EXCEEDED" }), { name: "a.pdf" }),
    "Not enough storage for “a.pdf”. Delete some files or upgrade your plan.");
  assert.equal(explain(e(413, { code: "FILE_TOO_LARGE", maxFileSize: 52428800 }), { name: "b.pdf" }),
    "“b.pdf” is too large: your plan accepts files up to 50 MiB.");
  // nginx's own 413 carries no maximum.
  assert.equal(explain(e(413, { code: "FILE_TOO_LARGE" }), { name: "b.pdf" }), "“b.pdf” is too large to upload.");
  assert.equal(explain(e(415, { code: "MIME_NOT_ALLOWED", detectedType: "application/x-sharedlib" }), { name: "x" }),
    "“x” is a kind of file that can't be stored here (it is application/x-sharedlib). Upload PDFs, office documents or images.");
  assert.match(explain(e(400, { code: "EMPTY_FILE" }), { name: "e" }), /“e” is empty/);
  assert.match(explain(e(400, { code: "INVALID_ENTITY_ID" })), /letters, digits/);
  assert.match(explain(e(404, { code: "FILE_NOT_FOUND" }), { name: "f" }), /no longer exists/);
  assert.match(explain(e(403, { code: "CUSTOMER_SUSPENDED" })), /suspended/);
  assert.match(explain(e(401, { code: "TOKEN_EXPIRED" })), /expired/);
  assert.match(explain(e(401, { code: "INVALID_SIGNATURE" })), /not accepted/);
  assert.match(explain(e(503, { code: "DATABASE_UNAVAILABLE" })), /unavailable/);
  assert.match(explain(e(503, null)), /unavailable/);
  assert.match(explain({ network: true }, { name: "n", action: "upload" }), /connection/);
  // Unknown codes: the API's own message, which is written for people.
  assert.equal(explain(e(400, { code: "SOMETHING_NEW", error: "Widgets are frobbed." }), { name: "w", action: "upload" }),
    "“w” was not uploaded: Widgets are frobbed.");
  assert.equal(explain(e(500, null), { action: "delete", name: "d" }), "“d” was not deleted.");
  assert.equal(isAuthError(e(401, { code: "X" })), true);
  assert.equal(isAuthError(e(403, { code: "INSUFFICIENT_ROLE" })), false);
});

test("pasted tokens are trimmed of spaces and a Bearer prefix; blanks refused", () => {
  assert.equal(normalize("  Bearer abc.def.ghi \n"), "abc.def.ghi");
  assert.equal(normalize("cof_x"), "cof_x");
  assert.equal(normalize("   "), null);
  assert.equal(normalize("two words"), null);
  assert.equal(normalize(undefined), null);
});

test("groupBy sums the breakdown by one key, drops empty groups, largest first", () => {
  const rows = [
    { fileType: "document", category: "documents", totalSize: 100, fileCount: 2 },
    { fileType: "image", category: "documents", totalSize: 50, fileCount: 1 },
    { fileType: "image", category: "avatars", totalSize: 300, fileCount: 3 },
    { fileType: "document", category: "projects", totalSize: 0, fileCount: 0 },
  ];
  assert.deepEqual(groupBy(rows, "category"), [
    { key: "avatars", size: 300, count: 3 },
    { key: "documents", size: 150, count: 3 },
  ]);
  assert.deepEqual(groupBy(rows, "fileType").map((g) => [g.key, g.size]), [["image", 350], ["document", 100]]);
});
