// The API's error codes turned into plain sentences for people.
//
// explain(err, ctx) takes an ApiError-like object ({status, code, body}) and
// a context ({name: the file's name, action: "upload" | "delete" | "load" |
// "download"}) and returns one sentence. Unknown codes fall back on the
// API's own message, which is written for people too (DESIGN.md).

import { formatBytes, ENTITY_ID_RULE } from "./format.js";

function quoted(name) {
  return name ? `“${name}”` : "This file";
}

const AUTH_CODES = new Set([
  "UNAUTHORIZED", "MALFORMED_TOKEN", "INVALID_SIGNATURE", "TOKEN_EXPIRED",
  "TOKEN_NOT_YET_VALID", "INVALID_CLAIMS", "INVALID_ISSUER", "INVALID_AUDIENCE",
  "ALGORITHM_NOT_ALLOWED", "INVALID_API_KEY", "API_KEY_REVOKED", "JWT_NOT_CONFIGURED",
]);

const UNAVAILABLE_CODES = new Set([
  "SERVICE_UNAVAILABLE", "DATABASE_UNAVAILABLE", "BACKEND_UNAVAILABLE",
  "AUTH_UNAVAILABLE", "OVERLOADED",
]);

export function isAuthError(err) {
  return err != null && (err.status === 401 || AUTH_CODES.has(err.code));
}

export function explain(err, ctx = {}) {
  const name = quoted(ctx.name);
  const body = (err && err.body) || {};
  const code = err && err.code;

  if (err && err.network) {
    return ctx.action === "upload"
      ? `${name} was not uploaded: the connection to the server was lost. Check your connection and try again.`
      : "The server could not be reached. Check your connection and try again.";
  }
  if (err && err.aborted) return `${name}: upload cancelled.`;

  switch (code) {
    case "QUOTA_EXCEEDED": {
      const limit = typeof body.limit === "number" ? body.limit : null;
      const used = (body.used || 0) + (body.reserved || 0);
      const free = limit != null ? Math.max(limit - used, 0) : null;
      const needed = typeof body.needed === "number" ? body.needed : null;
      let detail = "";
      if (needed != null && free != null) {
        detail = ` It needs ${formatBytes(needed)} and ${formatBytes(free)} is free.`;
      }
      return `Not enough storage for ${name}.${detail} Delete some files or upgrade your plan.`;
    }
    case "FILE_TOO_LARGE": {
      const max = typeof body.maxFileSize === "number" ? body.maxFileSize : ctx.maxFileSize;
      return max
        ? `${name} is too large: your plan accepts files up to ${formatBytes(max)}.`
        : `${name} is too large to upload.`;
    }
    case "MIME_NOT_ALLOWED": {
      const kind = body.detectedType ? ` (it is ${body.detectedType})` : "";
      return `${name} is a kind of file that can't be stored here${kind}. Upload PDFs, office documents or images.`;
    }
    case "EMPTY_FILE":
      return `${name} is empty: there is nothing to upload.`;
    case "NO_FILE":
      return "No file was sent. Choose a file and try again.";
    case "INVALID_CATEGORY":
      return "That category doesn't exist. Pick one from the list.";
    case "INVALID_SUBCATEGORY":
    case "SUBCATEGORY_NOT_ALLOWED":
      return "That subcategory doesn't belong to the chosen category. Pick one from the list.";
    case "SUBCATEGORY_REQUIRED":
      return "This category needs a subcategory. Pick one from the list.";
    case "ENTITY_ID_REQUIRED":
      return "This category needs an entity ID (for example the property or project it belongs to).";
    case "ENTITY_ID_NOT_ALLOWED":
      return "This category takes no entity ID. Leave it empty.";
    case "INVALID_ENTITY_ID":
      return `The entity ID may only contain ${ENTITY_ID_RULE}.`;
    case "INVALID_METADATA":
    case "METADATA_TOO_LARGE":
      return `${name} was refused: its description (metadata) is not valid.`;
    case "CUSTOMER_SUSPENDED":
      return "This storage account is suspended. Contact your administrator.";
    case "CUSTOMER_NOT_FOUND":
      return "No storage account exists for this customer yet. Contact your administrator.";
    case "INSUFFICIENT_ROLE":
    case "FORBIDDEN":
      return "Your account is not allowed to do this.";
    case "CUSTOMER_REQUIRED":
      return "This operator token names no customer: add #customer=<id> to the address, or use a customer's token.";
    case "FILE_NOT_FOUND":
      return `${name} no longer exists: it may have been deleted already.`;
    case "INVALID_CURSOR":
      return "The file list changed; showing the first page again.";
    default:
      break;
  }
  if (isAuthError(err)) {
    return code === "TOKEN_EXPIRED"
      ? "Your access token has expired. Paste a new one to continue."
      : "The access token was not accepted. Paste a valid token to continue.";
  }
  if ((err && err.status === 503) || UNAVAILABLE_CODES.has(code)) {
    return "The storage service is busy or unavailable right now. Try again in a moment.";
  }
  if (err && err.status === 413) {
    return `${name} is too large to upload.`;
  }
  if (err && err.status === 507) {
    return `Not enough storage for ${name}. Delete some files or upgrade your plan.`;
  }
  const what = {
    upload: `${name} was not uploaded`,
    delete: `${name} was not deleted`,
    download: `${name} can't be downloaded`,
  }[ctx.action] || "Something went wrong";
  const why = body.error ? `: ${body.error}` : "";
  return `${what}${why}.`.replace(/\.\.$/, ".");
}
