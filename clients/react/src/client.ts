// The HTTP side: Coffer's JSON answers in, CofferError out. fetch for the
// small calls, XMLHttpRequest for uploads (fetch reports no upload
// progress in browsers); files at or above a threshold go resumable, over
// tus with tus-js-client (resumable.ts).

import {
  CofferError, aborted, authHeader, join, percentOf, settle, unreachable, type TokenGetter,
} from "./http";
import { resumableUpload } from "./resumable";

export { CofferError };

/** What `useStorage` and `createCofferClient` need to reach Coffer. */
export interface CofferOptions {
  /** Coffer's origin (and path prefix, if any), e.g. "https://storage.example.com". */
  baseUrl: string;
  /**
   * Returns the bearer credential (a JWT or an API key) for each request;
   * called every time, so a refreshed token is picked up at once.
   */
  getToken: TokenGetter;
  /**
   * Files of this many bytes or more are uploaded resumably (tus, in
   * 4 MiB chunks; see README). Default 8 MiB (DEFAULT_RESUMABLE_THRESHOLD);
   * 0 or Infinity: every file in one POST.
   */
  resumableThreshold?: number;
}

/** The default `resumableThreshold`: 8 MiB, as the dashboard's. */
export const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

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
  /**
   * Called as the browser sends the file; `loaded` never goes back, even
   * when a resumable upload sends a chunk again, and ends at `total`.
   */
  onProgress?: (progress: UploadProgress) => void;
  /**
   * Aborts the upload (the promise rejects with code "ABORTED"). A
   * resumable upload is kept on the server, its space still reserved, so
   * that uploading the same file again resumes it (until it expires,
   * 24 hours by default); see `terminateOnAbort`.
   */
  signal?: AbortSignal;
  /** This upload's threshold, instead of the client's `resumableThreshold`. */
  resumableThreshold?: number;
  /**
   * Aborting a resumable upload also deletes it on the server (tus
   * termination), which gives its reserved space back at once; the same
   * file then starts from the beginning. Default false.
   */
  terminateOnAbort?: boolean;
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

export interface CofferClient {
  quota(): Promise<StorageQuota>;
  stats(): Promise<StorageStats>;
  upload(file: Blob, options: UploadOptions, fileName?: string): Promise<UploadResult>;
  deleteFile(filePath: string): Promise<void>;
}

/** A small client over Coffer's storage API; the hook is built on it. */
export function createCofferClient(opts: CofferOptions): CofferClient {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = await authHeader(opts.getToken);
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
    const name = fileName ?? (file as File).name ?? "upload";
    const threshold = options.resumableThreshold ?? opts.resumableThreshold ?? DEFAULT_RESUMABLE_THRESHOLD;
    if (threshold > 0 && file.size >= threshold) {
      return resumableUpload(file, name, options, { baseUrl: opts.baseUrl, getToken: opts.getToken });
    }
    const form = new FormData();
    form.append("category", options.category);
    if (options.subcategory) form.append("subcategory", options.subcategory);
    if (options.entityId) form.append("entityId", options.entityId);
    if (options.metadata) form.append("metadata", JSON.stringify(options.metadata));
    form.append("file", file, name);   // last: Coffer reads the fields first
    const headers = await authHeader(opts.getToken);
    return new Promise<UploadResult>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", join(opts.baseUrl, "/api/storage/upload"));
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (!options.onProgress || !e.lengthComputable) return;
        options.onProgress({ loaded: e.loaded, total: e.total, percent: percentOf(e.loaded, e.total) });
      };
      xhr.onload = () => {
        try {
          resolve(settle<UploadResult>(xhr.status, xhr.responseText));
        } catch (err) {
          reject(err);
        }
      };
      xhr.onerror = () => reject(unreachable());
      xhr.onabort = () => reject(aborted());
      if (options.signal) {
        if (options.signal.aborted) {
          reject(aborted());
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
