// What the plain and the resumable upload paths share: Coffer's JSON
// answers in, CofferError out, the bearer credential asked afresh for each
// request, and the progress figures.

/**
 * Returns the bearer credential (a JWT or an API key) for a request;
 * called before every request, so a refreshed token is picked up at once.
 */
export type TokenGetter = () => string | null | undefined | Promise<string | null | undefined>;

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

export function join(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

export async function authHeader(getToken: TokenGetter): Promise<Record<string, string>> {
  const token = await getToken();
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

/** Coffer's answer → data, or a CofferError with its code. */
export function settle<T>(status: number, text: string): T {
  const body = parse(status, text);
  if (status >= 200 && status < 300 && body.success !== false) return body.data as T;
  throw new CofferError(String(body.error || `HTTP ${status}`),
    String(body.code || (status ? `HTTP_${status}` : "NETWORK_ERROR")), status, body);
}

export const aborted = () => new CofferError("The upload was cancelled.", "ABORTED", 0);

export const unreachable = () => new CofferError(
  "The upload could not reach the storage service. Check your connection and try again.",
  "NETWORK_ERROR", 0);

/** 0-100, whole numbers, never above 100. */
export function percentOf(loaded: number, total: number): number {
  return total ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
}
