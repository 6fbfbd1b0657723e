// Coffer's machine codes as sentences for the person at the screen. An app
// may pass its own `describeError` to StorageDashboard instead.

import type { CofferError } from "./client";

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 Bytes";
  const units = ["Bytes", "KB", "MB", "GB", "TB"];
  const i = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  return `${parseFloat((bytes / 1024 ** i).toFixed(2))} ${units[i]}`;
}

export function humanize(slug: string): string {
  const s = slug.replace(/[-_]+/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** "Documents › Leases", or "Avatars" for a file without a subcategory. */
export function placeLabel(category: string, subcategory?: string | null): string {
  return subcategory && subcategory !== category
    ? `${humanize(category)} › ${humanize(subcategory)}` : humanize(category);
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** What went wrong, in one sentence; fileName names the upload, if any. */
export function describeError(err: CofferError, fileName?: string): string {
  const what = fileName ? `“${fileName}”` : "The file";
  const b = err.body;
  switch (err.code) {
    case "QUOTA_EXCEEDED": {
      const needed = num(b.needed), limit = num(b.limit), used = num(b.used);
      const left = limit !== null && used !== null ? Math.max(0, limit - used - (num(b.reserved) ?? 0)) : null;
      const detail = needed !== null && left !== null
        ? ` It needs ${formatBytes(needed)}; ${formatBytes(left)} is left.` : "";
      return `Not enough storage for ${what}.${detail} Delete some files or upgrade your plan.`;
    }
    case "MIME_NOT_ALLOWED":
      return `${what} is not a type you can upload. Allowed: PDF, Word, Excel, JPEG, PNG and GIF.`;
    case "FILE_TOO_LARGE": {
      const max = num(b.maxFileSize);
      return `${what} is too large${max !== null ? ` (at most ${formatBytes(max)} per file)` : ""}.`;
    }
    case "EMPTY_FILE":
      return `${what} is empty.`;
    case "TOKEN_EXPIRED":
      return "Your session has expired. Sign in again to continue.";
    case "MISSING_CREDENTIALS":
    case "MALFORMED_TOKEN":
    case "INVALID_SIGNATURE":
    case "INVALID_API_KEY":
    case "API_KEY_REVOKED":
      return "You are not signed in to the storage service. Sign in again to continue.";
    case "CUSTOMER_SUSPENDED":
      return "This account is suspended: uploads are paused. Contact your administrator.";
    case "INSUFFICIENT_ROLE":
      return "You are not allowed to do that.";
    case "FILE_NOT_FOUND":
      return "That file no longer exists.";
    case "NETWORK_ERROR":
      return "The storage service cannot be reached. Check your connection and try again.";
    case "ABORTED":
      return "The upload was cancelled.";
    case "SERVICE_UNAVAILABLE":
    case "DATABASE_UNAVAILABLE":
    case "AUTH_UNAVAILABLE":
      return "The storage service is busy or down. Try again in a moment.";
    default:
      return err.message || "Something went wrong. Try again.";
  }
}
