// useStorage: the seed's hook (quota, loading, error, uploadFile, ...) over
// Coffer's API, with upload progress, deletes, stats and the 80 / 100 %
// flags the seed's dashboard computes.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  CofferError, createCofferClient,
  type CofferOptions, type StorageQuota, type StorageStats, type UploadOptions, type UploadResult,
} from "./client";

export interface UseStorageOptions extends CofferOptions {
  /** Load quota and stats when the component mounts (default true). */
  autoLoad?: boolean;
}

export interface UseStorageResult {
  quota: StorageQuota | null;
  stats: StorageStats | null;
  /** A request of this hook is under way. */
  loading: boolean;
  /** The last failure (cleared by the next success); `code` is Coffer's. */
  error: CofferError | null;
  /**
   * Upload one file; resolves with Coffer's answer, rejects with a
   * CofferError. At or above `resumableThreshold` it goes resumable (tus),
   * with the same answer, progress and errors.
   */
  uploadFile: (file: File | Blob, options: UploadOptions) => Promise<UploadResult>;
  /** Delete by storage key (the upload's filePath); refreshes afterwards. */
  deleteFile: (filePath: string) => Promise<void>;
  /** Reload quota and stats. */
  refresh: () => Promise<void>;
  /** The seed's name: reload the quota alone. */
  fetchQuota: () => Promise<void>;
  /** Over 80 % of the limit (the seed's warning); never for unlimited plans. */
  isNearLimit: boolean;
  /** At or over 100 % of the limit; never for unlimited plans. */
  isOverLimit: boolean;
}

function asCofferError(err: unknown): CofferError {
  if (err instanceof CofferError) return err;
  return new CofferError(err instanceof Error ? err.message : String(err), "CLIENT_ERROR", 0);
}

/** The seed's thresholds: near is over 80 %, over is 100 % or more. */
export function limitFlags(quota: StorageQuota | null): { isNearLimit: boolean; isOverLimit: boolean } {
  if (!quota || quota.unlimited || quota.limit === null) return { isNearLimit: false, isOverLimit: false };
  return { isNearLimit: quota.percentage > 80, isOverLimit: quota.percentage >= 100 };
}

export function useStorage({
  baseUrl, getToken, resumableThreshold, autoLoad = true,
}: UseStorageOptions): UseStorageResult {
  const [quota, setQuota] = useState<StorageQuota | null>(null);
  const [stats, setStats] = useState<StorageStats | null>(null);
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<CofferError | null>(null);

  // The latest getter without re-creating the client (an inline arrow
  // function is a new object on every render).
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const client = useMemo(() => createCofferClient({
    baseUrl, getToken: () => tokenRef.current(), resumableThreshold,
  }), [baseUrl, resumableThreshold]);
  // Answers of a hook that has unmounted, or of an older call, are dropped.
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => { alive.current = false; };
  }, []);

  const run = useCallback(async <T,>(work: () => Promise<T>): Promise<T> => {
    setBusy((n) => n + 1);
    try {
      const out = await work();
      if (alive.current) setError(null);
      return out;
    } catch (err) {
      const e = asCofferError(err);
      if (alive.current) setError(e);
      throw e;
    } finally {
      if (alive.current) setBusy((n) => n - 1);
    }
  }, []);

  const refresh = useCallback(() => run(async () => {
    const s = await client.stats();
    if (!alive.current) return;
    setStats(s);
    setQuota(s.quota);
  }), [client, run]);

  const fetchQuota = useCallback(() => run(async () => {
    const q = await client.quota();
    if (alive.current) setQuota(q);
  }), [client, run]);

  const uploadFile = useCallback((file: File | Blob, options: UploadOptions) => run(async () => {
    const result = await client.upload(file, options);
    // The upload counts even if the refresh fails; that failure shows in `error`.
    refresh().catch(() => undefined);
    return result;
  }), [client, run, refresh]);

  const deleteFile = useCallback((filePath: string) => run(async () => {
    await client.deleteFile(filePath);
    refresh().catch(() => undefined);
  }), [client, run, refresh]);

  useEffect(() => {
    if (autoLoad) refresh().catch(() => undefined);
  }, [autoLoad, refresh]);

  const { isNearLimit, isOverLimit } = limitFlags(quota);
  return {
    quota, stats, loading: busy > 0, error,
    uploadFile, deleteFile, refresh, fetchQuota, isNearLimit, isOverLimit,
  };
}
