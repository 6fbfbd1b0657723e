// The HTTP side: Coffer's JSON answers in, CofferError out. fetch for the
// small calls, XMLHttpRequest for uploads (fetch reports no upload
// progress in browsers).

/** What `useStorage` and `createCofferClient` need to reach Coffer. */
export interface CofferOptions {
  /** Coffer's origin (and path prefix, if any), e.g. "https://storage.example.com". */
  baseUrl: string;
  /**
   * Returns the bearer credential (a JWT or an API key) for each request;
   * called every time, so a refreshed token is picked up at once.
   */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
}

/** GET /api/storage/quota (the seed's StorageQuota, plus Coffer's fields). */
export interface StorageQuota {
  used: number;
  /** null: unlimited. */
  limit: number | null;
  /** null: unlimited. */
  available: number | null;
  percentage: number;
  usedFormatted: string;
  limitFormatted: string;
  availableFormatted: string;
  unlimited?: boolean;
  canUpload?: boolean;
  reserved?: number;
  maxFileSize?: number;
  plan?: string;
  status?: string;
}

/** One breakdown row: `category` is the seed's (subcategory || category). */
export interface BreakdownRow {
  fileType: string;
  category: string;
  /** The top category ("documents" for a "leases" row). */
  parentCategory: string;
  fileCount: number;
  totalSize: number;
  totalSizeFormatted?: string;
  /** Of what is used (0 when nothing is). */
  percentage: number;
}

export interface RecentUpload {
  fileId: string;
  fileName: string;
  filePath: string;
  fileSize: number;
  fileSizeFormatted?: string;
  fileType: string;
  category: string;
  subcategory: string | null;
  mimeType?: string;
  uploadedAt: string;
  uploadedBy: string;
}

/** GET /api/storage/stats. */
export interface StorageStats {
  quota: StorageQuota;
  breakdown: BreakdownRow[];
  recentUploads: RecentUpload[];
}

export interface UploadOptions {
  category: string;
  subcategory?: string;
  entityId?: string;
  metadata?: Record<string, unknown>;
  /** Called as the browser sends the body. */
  onProgress?: (progress: UploadProgress) => void;
  /** Aborts the upload (the promise rejects with code "ABORTED"). */
  signal?: AbortSignal;
}

export interface UploadProgress {
  loaded: number;
  total: number;
  /** 0-100, whole numbers. */
  percent: number;
}

/** POST /api/storage/upload's data. */
export interface UploadResult {
  success: boolean;
  fileId: string;
  filePath: string;
  fileUrl: string | null;
  fileSize: number;
  mimeType?: string;
  [key: string]: unknown;
}

/**
 * A refusal from Coffer, or a failure to reach it. `code` is Coffer's
 * machine code (QUOTA_EXCEEDED, MIME_NOT_ALLOWED, TOKEN_EXPIRED, ...), or
 * NETWORK_ERROR / ABORTED / BAD_RESPONSE from the client itself; `status`
 * the HTTP status (0 without an answer); `body` the whole JSON answer
 * (a 507 carries used, limit, needed and maxFileSize).
 */
export class CofferError extends Error {
  readonly code: string;
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(message: string, code: string, status: number, body: Record<string, unknown> = {}) {
    super(message);
    this.name = "CofferError";
    this.code = code;
    this.status = status;
    this.body = body;
  }
}

function join(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

async function authHeader(opts: CofferOptions): Promise<Record<string, string>> {
  const token = await opts.getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function parse(status: number, text: string): Record<string, unknown> {
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object") return body as Record<string, unknown>;
  } catch {
    /* not JSON: below */
  }
  throw new CofferError(`Unexpected answer from the storage service (HTTP ${status})`,
    "BAD_RESPONSE", status);
}

// Coffer's answer → data, or a CofferError with its code.
function settle<T>(status: number, text: string): T {
  const body = parse(status, text);
  if (status >= 200 && status < 300 && body.success !== false) return body.data as T;
  throw new CofferError(String(body.error || `HTTP ${status}`),
    String(body.code || (status ? `HTTP_${status}` : "NETWORK_ERROR")), status, body);
}

export interface CofferClient {
  quota(): Promise<StorageQuota>;
  stats(): Promise<StorageStats>;
  upload(file: Blob, options: UploadOptions, fileName?: string): Promise<UploadResult>;
  deleteFile(filePath: string): Promise<void>;
}

/** A small client over Coffer's storage API; the hook is built on it. */
export function createCofferClient(opts: CofferOptions): CofferClient {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = await authHeader(opts);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(join(opts.baseUrl, path), {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit", cache: "no-store",
      });
    } catch {
      throw new CofferError("The storage service cannot be reached. Check your connection and try again.",
        "NETWORK_ERROR", 0);
    }
    return settle<T>(res.status, await res.text());
  }

  async function upload(file: Blob, options: UploadOptions, fileName?: string): Promise<UploadResult> {
    const form = new FormData();
    const name = fileName ?? (file as File).name ?? "upload";
    form.append("category", options.category);
    if (options.subcategory) form.append("subcategory", options.subcategory);
    if (options.entityId) form.append("entityId", options.entityId);
    if (options.metadata) form.append("metadata", JSON.stringify(options.metadata));
    form.append("file", file, name);   // last: Coffer reads the fields first
    const headers = await authHeader(opts);
    return new Promise<UploadResult>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", join(opts.baseUrl, "/api/storage/upload"));
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (!options.onProgress || !e.lengthComputable) return;
        options.onProgress({ loaded: e.loaded, total: e.total,
          percent: e.total ? Math.min(100, Math.floor((e.loaded / e.total) * 100)) : 0 });
      };
      xhr.onload = () => {
        try {
          resolve(settle<UploadResult>(xhr.status, xhr.responseText));
        } catch (err) {
          reject(err);
        }
      };
      xhr.onerror = () => reject(new CofferError(
        "The upload could not reach the storage service. Check your connection and try again.",
        "NETWORK_ERROR", 0));
      xhr.onabort = () => reject(new CofferError("The upload was cancelled.", "ABORTED", 0));
      if (options.signal) {
        if (options.signal.aborted) {
          reject(new CofferError("The upload was cancelled.", "ABORTED", 0));
          return;
        }
        options.signal.addEventListener("abort", () => xhr.abort(), { once: true });
      }
      xhr.send(form);
    });
  }

  return {
    quota: () => request<StorageQuota>("GET", "/api/storage/quota"),
    stats: () => request<StorageStats>("GET", "/api/storage/stats"),
    upload,
    deleteFile: async (filePath: string) => {
      await request<unknown>("DELETE", "/api/storage/file", { filePath });
    },
  };
}
