// @coffer/react: the seed's useStorage hook and StorageDashboard card for
// Coffer. Styles: import "@coffer/react/styles.css".
export { useStorage, limitFlags } from "./useStorage";
export type { UseStorageOptions, UseStorageResult } from "./useStorage";
export { StorageDashboard, groupBreakdown } from "./StorageDashboard";
export type { StorageDashboardProps } from "./StorageDashboard";
export { CofferError, createCofferClient } from "./client";
export type {
  BreakdownRow, CofferClient, CofferOptions, RecentUpload, StorageQuota, StorageStats,
  UploadOptions, UploadProgress, UploadResult,
} from "./client";
export { describeError, formatBytes, humanize, placeLabel } from "./messages";
