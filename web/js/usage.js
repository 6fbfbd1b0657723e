// The usage card (bar, warning, full notice), the breakdown charts and the
// recent uploads, all from one GET /api/storage/stats.

import { $, h, clear } from "./dom.js";
import { formatBytes, formatPercent, formatRelative, formatDate, humanize, usageState } from "./format.js";
import { barChart, groupBy } from "./chart.js";

const TYPE_LABELS = { document: "Documents", image: "Images", video: "Videos", audio: "Audio", other: "Other" };

export function typeLabel(t) {
  return TYPE_LABELS[t] || humanize(t);
}

function upgradeUrl() {
  const meta = document.querySelector('meta[name="coffer-upgrade-url"]');
  const url = meta ? meta.content.trim() : "";
  return /^(https:\/\/|\/)/.test(url) ? url : "";
}

export function renderUsage(quota) {
  const st = usageState(quota);
  const card = $("usage");
  card.dataset.level = st.unlimited ? "unlimited" : st.level;

  const bar = $("usage-bar");
  const fill = $("usage-fill");
  if (st.unlimited) {
    $("usage-text").textContent = `${quota.usedFormatted} used · Unlimited storage`;
    $("usage-pct").textContent = "";
    bar.hidden = true;
  } else {
    $("usage-text").textContent = `${quota.usedFormatted} of ${quota.limitFormatted} used`;
    $("usage-pct").textContent = formatPercent(st.pct);
    bar.hidden = false;
    bar.setAttribute("aria-valuenow", String(Math.round(st.pct * 10) / 10));
    bar.setAttribute("aria-valuetext",
      `${quota.usedFormatted} of ${quota.limitFormatted} used (${formatPercent(st.pct)})`);
    fill.style.width = `${st.pct > 0 ? Math.max(st.pct, 0.5) : 0}%`;
  }

  const alert = $("usage-alert");
  const action = $("usage-alert-action");
  const suspended = quota.status && quota.status !== "active";
  if (suspended) {
    alert.hidden = false;
    alert.className = "notice notice-danger";
    $("usage-alert-title").textContent = "Storage suspended";
    $("usage-alert-text").textContent =
      "This storage account is suspended: its users can't open, upload or change files until it is reactivated.";
    action.hidden = true;
  } else if (st.level === "full" || st.level === "warning") {
    const full = st.level === "full";
    alert.hidden = false;
    alert.className = full ? "notice notice-danger" : "notice notice-warning";
    $("usage-alert-title").textContent = full ? "Storage full" : "Storage almost full";
    $("usage-alert-text").textContent = full
      ? "You have reached your storage limit. Please upgrade your plan or delete some files."
      : "You are running low on storage space. Consider upgrading your plan.";
    const url = upgradeUrl();
    action.hidden = !url;
    if (url) $("upgrade-link").href = url;
  } else {
    alert.hidden = true;
  }

  $("usage-available").textContent = quota.availableFormatted;
  $("usage-plan").textContent = quota.plan ? humanize(quota.plan) : "—";
  $("usage-maxfile").textContent = quota.maxFileSize ? formatBytes(quota.maxFileSize) : "—";
}

// Both levels of the breakdown: a row's `category` is the seed's
// (subcategory || category) and `parentCategory` its top category.
export function placeLabel(category, subcategory) {
  return subcategory ? `${humanize(category)} › ${humanize(subcategory)}` : humanize(category);
}

export function renderBreakdown(rows) {
  const keyed = (rows || []).map((r) => {
    const parent = r.parentCategory || r.category;
    const sub = r.category !== parent ? r.category : "";
    return { ...r, parent, place: sub ? `${parent}/${sub}` : parent, label: placeLabel(parent, sub) };
  });
  const labels = new Map(keyed.map((r) => [r.place, r.label]));
  const cats = groupBy(keyed, "parent").map((g) => ({ ...g, label: humanize(g.key) }));
  const subs = groupBy(keyed, "place").map((g) => ({ ...g, label: labels.get(g.key) }));
  const types = groupBy(rows, "fileType").map((g) => ({ ...g, label: typeLabel(g.key) }));
  clear($("chart-category")).append(barChart(cats, { id: "chart-cat", title: "Storage by category" }));
  clear($("chart-subcategory")).append(barChart(subs, { id: "chart-sub", title: "Storage by subcategory" }));
  clear($("chart-type")).append(barChart(types, { id: "chart-typ", title: "Storage by file type" }));
}

export function renderRecent(list) {
  const ul = clear($("recent-list"));
  $("recent-empty").hidden = list.length > 0;
  for (const u of list) {
    const when = h("time", { datetime: u.uploadedAt, title: formatDate(u.uploadedAt) },
      formatRelative(u.uploadedAt));
    ul.append(h("li", {},
      h("span", { class: "recent-name" }, u.fileName),
      h("span", { class: "recent-meta" },
        `${u.fileSizeFormatted || formatBytes(u.fileSize)} · ${placeLabel(u.category, u.subcategory)} · `, when,
        u.uploadedBy ? ` · ${u.uploadedBy}` : "")));
  }
}
