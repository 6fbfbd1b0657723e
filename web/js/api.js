// The Coffer JSON API, same origin, with a bearer credential.
//
// Every call resolves with the response's `data` or rejects with an ApiError
// carrying the HTTP status, the API's machine `code` and the whole JSON body
// (507 adds used/limit/needed, 415 detectedType, ...). Network failures and
// aborts reject with ApiError too (`network` / `aborted` set).

import { resumableUpload } from "./tus.js";

export class ApiError extends Error {
  constructor({ status = 0, code = null, body = null, network = false, aborted = false }) {
    super((body && body.error) || code || (network ? "network error" : aborted ? "aborted" : `HTTP ${status}`));
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
    this.network = network;
    this.aborted = aborted;
  }
}

function parseBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFrom(status, body) {
  return new ApiError({ status, code: body && body.code ? body.code : null, body });
}

export class Api {
  // token: the bearer credential (never stored here beyond this object);
  // customer: optional customer id for platform tokens (Coffer-Customer).
  constructor(token, { customer = null } = {}) {
    this.token = token;
    this.customer = customer;
  }

  headers(extra = {}) {
    const h = { Accept: "application/json", Authorization: `Bearer ${this.token}`, ...extra };
    if (this.customer) h["Coffer-Customer"] = this.customer;
    return h;
  }

  async request(method, path, { json } = {}) {
    const init = { method, headers: this.headers(), cache: "no-store", credentials: "omit" };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError({ network: true });
    }
    const body = parseBody(await res.text());
    if (!res.ok || !body || body.success !== true) throw errorFrom(res.status, body);
    return body.data;
  }

  get(path) {
    return this.request("GET", path);
  }

  whoami() { return this.get("/api/whoami"); }
  stats() { return this.get("/api/storage/stats"); }
  taxonomy() { return this.get("/api/storage/taxonomy"); }

  // filters: {category, subcategory, entityId, fileType, limit, cursor}
  listFiles(filters = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) {
      if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    }
    const qs = q.toString();
    return this.get(`/api/storage/files${qs ? `?${qs}` : ""}`);
  }

  deleteFile(id) {
    return this.request("DELETE", `/api/storage/files/${encodeURIComponent(id)}`);
  }

  // A fresh signed download link (GET /api/storage/files/{id}/url).
  downloadUrl(id) {
    return this.get(`/api/storage/files/${encodeURIComponent(id)}/url`);
  }

  // Multipart upload with progress. XMLHttpRequest, because fetch() reports
  // no upload progress. Returns {promise, abort}; onProgress(loaded, total).
  upload(file, fields, onProgress) {
    const xhr = new XMLHttpRequest();
    const promise = new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) {
        if (v !== undefined && v !== null && v !== "") form.append(k, v);
      }
      form.append("file", file, file.name);
      xhr.open("POST", "/api/storage/upload");
      xhr.withCredentials = false;
      for (const [k, v] of Object.entries(this.headers())) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener("progress", (e) => {
        if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      });
      xhr.addEventListener("load", () => {
        const body = parseBody(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300 && body && body.success === true) {
          resolve(body.data);
        } else {
          reject(errorFrom(xhr.status, body));
        }
      });
      xhr.addEventListener("error", () => reject(new ApiError({ network: true })));
      xhr.addEventListener("abort", () => reject(new ApiError({ aborted: true })));
      xhr.send(form);
    });
    return { promise, abort: () => xhr.abort() };
  }

  // The same, resumable (tus, web/js/tus.js): for large files. The quota
  // is reserved when it starts, and network failures are retried from
  // where the server says the upload stands.
  uploadResumable(file, fields, onProgress) {
    const { promise, abort } = resumableUpload(file, fields, this.headers(), onProgress);
    return {
      promise: promise.catch((e) => {
        if (e && e.status) throw errorFrom(e.status, e.body);
        throw new ApiError({ network: !!(e && e.network), aborted: !!(e && e.aborted) });
      }),
      abort,
    };
  }
}
