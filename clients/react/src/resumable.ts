// Resumable uploads for large files: tus 1.0 (docs/TUS.md) with
// tus-js-client. Coffer reserves the quota when the upload is created, so a
// file that does not fit is refused (507) before a byte is sent; the file
// then goes in chunks, each failure on the way retried from where the
// server says the upload stands, and the upload's URL is remembered
// (localStorage) so that uploading the same file again, after an abort, a
// reload or a lost connection, resumes it.

import { Upload, type DetailedError, type HttpRequest, type HttpResponse } from "tus-js-client";
import type { UploadOptions, UploadResult } from "./client";
import {
  CofferError, aborted, join, percentOf, settle, unreachable, type TokenGetter,
} from "./http";

/**
 * Bytes per PATCH: below nginx's bound on one request's body (32 MiB,
 * nginx/coffer-site.conf.in), small enough that a lost connection costs
 * little, large enough that a 1 GiB file is 256 requests.
 */
export const RESUMABLE_CHUNK_SIZE = 4 * 1024 * 1024;

// After a network failure, a 5xx or a 409/423 (a chunk that raced another
// request): wait this long, ask the server where the upload stands, go on.
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

interface Target {
  baseUrl: string;
  getToken: TokenGetter;
}

// A refusal (507 at creation, 413, 415 on a chunk, ...) is Coffer's
// answer with its code, as on the plain path; no answer is NETWORK_ERROR.
function asCofferError(err: Error | DetailedError): CofferError {
  const res = (err as DetailedError).originalResponse;
  const status = res ? res.getStatus() : 0;
  if (!res || !status) return unreachable();
  try {
    settle<unknown>(status, res.getBody());
  } catch (e) {
    if (e instanceof CofferError) return e;
  }
  return new CofferError(`HTTP ${status}`, `HTTP_${status}`, status);
}

// Final: every 4xx but a conflict (409: another request was writing this
// upload, or the offset moved; 423: locked), and 507 (the quota does not
// move by itself). Anything else, and no answer at all, is tried again.
function retryable(err: DetailedError): boolean {
  const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
  if (status === 409 || status === 423) return true;
  if (status >= 400 && status < 500) return false;
  return status !== 507;
}

// The last PATCH answers with the file, as a plain upload does. When the
// upload turns out to be finished already (its last answer was lost, and
// the resume's HEAD says offset = length), the HEAD names the file in
// headers.
function resultOf(res: HttpResponse, size: number): UploadResult {
  const body = res.getBody();
  if (body) return settle<UploadResult>(res.getStatus(), body);
  const fileId = res.getHeader("Coffer-File-Id");
  const filePath = res.getHeader("Coffer-File-Path");
  if (!fileId || !filePath) {
    throw new CofferError("Unexpected answer from the storage service (no file in it)",
      "BAD_RESPONSE", res.getStatus());
  }
  return { success: true, fileId, filePath, fileUrl: null, fileSize: size };
}

// What identifies "the same upload" in this browser: the file (name, type,
// size, last modification) and where it goes. A Blob that is no File has
// no modification time to tell it from another Blob of the same size: it
// is never resumed from storage.
function fingerprintOf(file: Blob, name: string, options: UploadOptions, endpoint: string): string | null {
  const lastModified = (file as File).lastModified;
  if (typeof lastModified !== "number") return null;
  return ["coffer-tus", endpoint, name, file.type, file.size, lastModified, options.category,
    options.subcategory ?? "", options.entityId ?? "", JSON.stringify(options.metadata ?? null)]
    .map(String).join("\u001f");
}

/** Upload `file` over tus: the same result, progress and errors as the POST. */
export function resumableUpload(file: Blob, name: string, options: UploadOptions,
                                target: Target): Promise<UploadResult> {
  const endpoint = join(target.baseUrl, "/api/storage/uploads");
  const metadata: Record<string, string> = { filename: name, category: options.category };
  if (options.subcategory) metadata.subcategory = options.subcategory;
  if (options.entityId) metadata.entityId = options.entityId;
  if (options.metadata) metadata.metadata = JSON.stringify(options.metadata);
  const fingerprint = fingerprintOf(file, name, options, endpoint);

  return new Promise<UploadResult>((resolve, reject) => {
    const { signal, onProgress } = options;
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    let settled = false;
    let sent = -1;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn();
    };

    const upload = new Upload(file, {
      endpoint,
      metadata,
      chunkSize: RESUMABLE_CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      onShouldRetry: (err) => retryable(err),
      // The credential is asked for before every request (creation, HEAD,
      // each PATCH), so a token refreshed meanwhile is the one sent. An
      // upload belongs to the customer, not to a token: a resume with a
      // new token goes on where the old one stopped.
      onBeforeRequest: async (req: HttpRequest) => {
        const token = await target.getToken();
        if (token) req.setHeader("Authorization", `Bearer ${token}`);
      },
      fingerprint: async () => fingerprint as string,
      storeFingerprintForResuming: fingerprint !== null,
      // A finished upload is forgotten: the same file uploaded again later
      // is a new file, not the old one's answer.
      removeFingerprintOnSuccess: true,
      onProgress: (bytesSent: number, bytesTotal: number) => {
        // A chunk sent again would move the bar back: report the furthest.
        if (!onProgress || bytesSent <= sent) return;
        sent = bytesSent;
        onProgress({ loaded: bytesSent, total: bytesTotal, percent: percentOf(bytesSent, bytesTotal) });
      },
      onSuccess: ({ lastResponse }) => finish(() => {
        try {
          resolve(resultOf(lastResponse, file.size));
        } catch (e) {
          reject(e);
        }
      }),
      onError: (err) => finish(() => reject(asCofferError(err))),
    });

    function onAbort() {
      finish(() => reject(aborted()));
      // Kept on the server unless asked otherwise: the same file resumes.
      upload.abort(options.terminateOnAbort === true).catch(() => undefined);
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    // A previous attempt at this file (same fingerprint) that the server
    // still has: go on from its offset (tus-js-client asks with HEAD; an
    // upload the server no longer knows, 404 or 410, starts afresh).
    const begin = fingerprint === null ? Promise.resolve([]) : upload.findPreviousUploads();
    begin.then((previous) => {
      if (settled) return;
      const latest = previous
        .filter((p) => p.size === file.size && p.uploadUrl)
        .sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
      if (latest) upload.resumeFromPreviousUpload(latest);
      upload.start();
    }, () => {
      if (!settled) upload.start();   // no storage (private mode): not resumable, still uploads
    });
  });
}
