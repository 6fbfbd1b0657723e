// @coffer/react: the seed's useStorage hook and StorageDashboard card for
// Coffer. Styles: import "@coffer/react/styles.css".
export { useStorage, limitFlags } from "./useStorage";
export type { UseStorageOptions, UseStorageResult } from "./useStorage";
export { StorageDashboard, groupBreakdown } from "./StorageDashboard";
export type { StorageDashboardProps } from "./StorageDashboard";
export { CofferError, DEFAULT_RESUMABLE_THRESHOLD, createCofferClient } from "./client";
export { RESUMABLE_CHUNK_SIZE } from "./resumable";
export type {
  BreakdownRow, CofferClient, CofferOptions, RecentUpload, StorageQuota, StorageStats,
  UploadOptions, UploadProgress, UploadResult,
} from "./client";
export type { TokenGetter } from "./http";
export { describeError, formatBytes, humanize, placeLabel } from "./messages";
