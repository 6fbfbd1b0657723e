// Human units and dates, the way the API writes them (quota.c's
// quota_format_bytes: powers of 1024 with IEC names, "Bytes", at most two
// decimals), so that sizes the page computes itself read like the API's own
// *Formatted strings.

const UNITS = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 Bytes";
  const i = Math.min(Math.floor(Math.log(bytes) / Math.log(1024)), UNITS.length - 1);
  const value = parseFloat((bytes / 1024 ** i).toFixed(2));
  return `${value} ${UNITS[i]}`;
}

// Percentage for people: one decimal, never "0.0 %" for a non-zero share,
// never "100.0 %" before the limit is really reached.
export function formatPercent(pct) {
  if (pct == null || !Number.isFinite(pct)) return "";
  if (pct > 0 && pct < 0.1) return "<0.1%";
  if (pct < 100 && pct > 99.9) return ">99.9%";
  return `${pct.toFixed(1)}%`;
}

// The usage bar's state, as the seed's StorageDashboard decides it:
// above 80 % a warning, at 100 % full. Unlimited plans have neither.
export function usageState(quota) {
  if (!quota || quota.unlimited || quota.limit == null) {
    return { unlimited: true, pct: null, level: "normal" };
  }
  const limit = Number(quota.limit);
  const used = Number(quota.used);
  const pct = limit > 0 ? (used / limit) * 100 : 100;
  let level = "normal";
  if (used >= limit || pct >= 100) level = "full";
  else if (pct > 80) level = "warning";
  return { unlimited: false, pct: Math.min(pct, 100), level };
}

export function formatDate(iso, locale) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

// "3 minutes ago", "yesterday"; falls back to the date past a week.
export function formatRelative(iso, now = Date.now(), locale) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "";
  const s = Math.round((t - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const abs = Math.abs(s);
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(s / 3600), "hour");
  if (abs < 7 * 86400) return rtf.format(Math.round(s / 86400), "day");
  return formatDate(iso, locale);
}

// "floor-plans" -> "Floor plans"
export function humanize(slug) {
  if (!slug) return "";
  const s = String(slug).replace(/[-_]+/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The API's entity-id rule (storekey.c): 1 to 64 of A-Z a-z 0-9 _ -, not
// starting with "-".
export function entityIdOk(s) {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(s);
}

// The same rule in words, for "The <field> may only contain ...".
export const ENTITY_ID_RULE = "letters, digits, _ and - (up to 64, not starting with -)";
