// StorageDashboard: the seed's storage card (usage bar with the 80 / 100 %
// warnings, available space) plus the breakdown at both levels, the recent
// uploads with a delete button each, and an upload control with progress.
// Plain CSS (styles.css, themable with --coffer-* variables); every control
// labelled and reachable by keyboard, every change announced.

import { useId, useState, type ChangeEvent, type ReactNode } from "react";
import type { BreakdownRow, CofferError, RecentUpload } from "./client";
import { describeError as defaultDescribe, formatBytes, humanize, placeLabel } from "./messages";
import { useStorage, type UseStorageOptions } from "./useStorage";

export interface StorageDashboardProps extends UseStorageOptions {
  /** The card's heading (default "Storage Usage", the seed's). */
  title?: string;
  /** Where the upload control puts files (default "documents"). */
  category?: string;
  subcategory?: string;
  entityId?: string;
  /** Shown as "Upgrade your plan" in the 80 / 100 % warnings. */
  upgradeUrl?: string;
  /** Hide the upload control (default shown). */
  hideUpload?: boolean;
  /** Your own sentences for Coffer's error codes. */
  describeError?: (error: CofferError, fileName?: string) => string;
  className?: string;
}

interface Group {
  key: string;
  size: number;
  count: number;
  children: { key: string; size: number; count: number }[];
}

/** Breakdown rows summed by top category, each with its subcategories. */
export function groupBreakdown(rows: BreakdownRow[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const parent = r.parentCategory || r.category;
    const g = groups.get(parent) ?? { key: parent, size: 0, count: 0, children: [] };
    g.size += r.totalSize;
    g.count += r.fileCount;
    if (r.category !== parent) {
      const c = g.children.find((x) => x.key === r.category);
      if (c) {
        c.size += r.totalSize;
        c.count += r.fileCount;
      } else {
        g.children.push({ key: r.category, size: r.totalSize, count: r.fileCount });
      }
    }
    groups.set(parent, g);
  }
  const bySize = <T extends { key: string; size: number }>(a: T, b: T) =>
    b.size - a.size || (a.key < b.key ? -1 : 1);
  const out = [...groups.values()].filter((g) => g.size > 0 || g.count > 0).sort(bySize);
  for (const g of out) g.children.sort(bySize);
  return out;
}

const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
const pct = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : "0 %");

interface Upload {
  name: string;
  percent: number;
}

export function StorageDashboard(props: StorageDashboardProps): ReactNode {
  const {
    title = "Storage Usage", category = "documents", subcategory, entityId, upgradeUrl,
    hideUpload = false, describeError = defaultDescribe, className,
  } = props;
  const storage = useStorage(props);
  const { quota, stats, loading, error, isNearLimit, isOverLimit } = storage;
  const id = useId();
  const [upload, setUpload] = useState<Upload | null>(null);
  const [notice, setNotice] = useState("");
  const [problem, setProblem] = useState("");

  async function onFiles(e: ChangeEvent<HTMLInputElement>) {
    const input = e.currentTarget;
    const list = Array.from(input.files ?? []);
    setProblem("");
    for (const file of list) {
      setUpload({ name: file.name, percent: 0 });
      setNotice(`Uploading “${file.name}”…`);
      try {
        await storage.uploadFile(file, {
          category, subcategory, entityId,
          onProgress: (p) => setUpload({ name: file.name, percent: p.percent }),
        });
        setUpload({ name: file.name, percent: 100 });
        setNotice(`“${file.name}” uploaded.`);
      } catch (err) {
        setUpload(null);
        setNotice("");
        setProblem(describeError(err as CofferError, file.name));
        break;
      }
    }
    input.value = "";
  }

  async function onDelete(u: RecentUpload) {
    setProblem("");
    try {
      await storage.deleteFile(u.filePath);
      setNotice(`“${u.fileName}” deleted.`);
    } catch (err) {
      setProblem(describeError(err as CofferError, u.fileName));
    }
  }

  const level = isOverLimit ? "full" : isNearLimit ? "warn" : "ok";
  const shown = quota ? Math.min(100, Math.max(0, quota.percentage)) : 0;
  const groups = groupBreakdown(stats?.breakdown ?? []);
  const used = quota?.used ?? 0;
  const recent = stats?.recentUploads ?? [];
  // A failure to load (an expired token, say) when there is nothing to show.
  const loadProblem = !quota && error ? describeError(error) : "";

  return (
    <section className={["coffer-dashboard", className].filter(Boolean).join(" ")}
      aria-labelledby={`${id}-title`} aria-busy={loading || undefined} data-level={level}>
      <h2 id={`${id}-title`} className="coffer-title">{title}</h2>

      {!quota && loading && <p className="coffer-muted" role="status">Loading storage info…</p>}
      {loadProblem && <p className="coffer-error" role="alert">{loadProblem}</p>}

      {quota && (
        <div className="coffer-usage">
          <p className="coffer-usage-line">
            <span className="coffer-usage-text">{quota.usedFormatted} of {quota.limitFormatted} used</span>
            {!quota.unlimited && <span className="coffer-usage-pct">{quota.percentage.toFixed(1)}%</span>}
          </p>
          {!quota.unlimited && (
            <div className={`coffer-bar coffer-bar--${level}`} role="progressbar"
              aria-label="Storage used" aria-valuemin={0} aria-valuemax={100}
              aria-valuenow={Math.round(shown)}
              aria-valuetext={`${quota.usedFormatted} of ${quota.limitFormatted} used (${quota.percentage.toFixed(1)} %)`}>
              <div className="coffer-bar-fill" style={{ width: `${shown}%` }} />
            </div>
          )}
          {isNearLimit && (
            <div className={`coffer-alert coffer-alert--${level}`} role={isOverLimit ? "alert" : "status"}>
              <p className="coffer-alert-title">{isOverLimit ? "Storage full" : "Storage almost full"}</p>
              <p>
                {isOverLimit
                  ? "You have reached your storage limit. Please upgrade your plan or delete some files."
                  : "You are running low on storage space. Consider upgrading your plan."}
              </p>
              {upgradeUrl && <a className="coffer-link" href={upgradeUrl}>Upgrade your plan</a>}
            </div>
          )}
          <p className="coffer-muted">Available: {quota.availableFormatted}</p>
        </div>
      )}

      {stats && (
        <>
          <h3 className="coffer-subtitle" id={`${id}-breakdown`}>What uses the space</h3>
          {groups.length === 0 ? <p className="coffer-muted">No files yet.</p> : (
            <ul className="coffer-breakdown" aria-labelledby={`${id}-breakdown`}>
              {groups.map((g) => (
                <li key={g.key} className="coffer-breakdown-group">
                  <span className="coffer-breakdown-name">{humanize(g.key)}</span>
                  <span className="coffer-breakdown-size">
                    {formatBytes(g.size)} · {pct(g.size, used)} · {files(g.count)}
                  </span>
                  {g.children.length > 0 && (
                    <ul className="coffer-breakdown-children">
                      {g.children.map((c) => (
                        <li key={c.key}>
                          <span className="coffer-breakdown-name">{placeLabel(g.key, c.key)}</span>
                          <span className="coffer-breakdown-size">
                            {formatBytes(c.size)} · {pct(c.size, used)} · {files(c.count)}
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          )}

          <h3 className="coffer-subtitle" id={`${id}-recent`}>Recent uploads</h3>
          {recent.length === 0 ? <p className="coffer-muted">Nothing uploaded yet.</p> : (
            <ul className="coffer-recent" aria-labelledby={`${id}-recent`}>
              {recent.map((u) => (
                <li key={u.fileId} className="coffer-recent-item">
                  <span className="coffer-recent-name">{u.fileName}</span>
                  <span className="coffer-muted coffer-recent-meta">
                    {u.fileSizeFormatted ?? formatBytes(u.fileSize)} · {placeLabel(u.category, u.subcategory)} ·{" "}
                    <time dateTime={u.uploadedAt}>{new Date(u.uploadedAt).toLocaleString()}</time>
                  </span>
                  <button type="button" className="coffer-button coffer-button--quiet"
                    aria-label={`Delete ${u.fileName}`} onClick={() => void onDelete(u)}>
                    Delete
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}

      {!hideUpload && (
        <div className="coffer-upload">
          <label className="coffer-upload-label" htmlFor={`${id}-file`}>
            Upload to {placeLabel(category, subcategory)}
          </label>
          <input id={`${id}-file`} className="coffer-upload-input" type="file" multiple
            aria-describedby={`${id}-upload-hint`} onChange={(e) => void onFiles(e)} />
          <p id={`${id}-upload-hint`} className="coffer-muted">
            PDF, Word, Excel, JPEG, PNG or GIF
            {quota?.maxFileSize ? `, up to ${formatBytes(quota.maxFileSize)} each` : ""}.
          </p>
          {upload && (
            <div className="coffer-upload-progress">
              <span className="coffer-upload-name">{upload.name}</span>
              <div className="coffer-bar coffer-bar--ok" role="progressbar"
                aria-label={`Upload of ${upload.name}`} aria-valuemin={0} aria-valuemax={100}
                aria-valuenow={upload.percent}>
                <div className="coffer-bar-fill" style={{ width: `${upload.percent}%` }} />
              </div>
            </div>
          )}
        </div>
      )}

      <p className="coffer-status" role="status" aria-live="polite">{notice}</p>
      {problem && <p className="coffer-error" role="alert">{problem}</p>}
    </section>
  );
}
