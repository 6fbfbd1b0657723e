// Horizontal bar charts as inline SVG, built with DOM calls (no markup
// strings, so no name in the data can become markup).
//
// Lengths are percentages of the SVG's width and the height is fixed per
// row, so the chart follows its container's width without scaling its text.

import { formatBytes, formatPercent } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
// Each at least 4.5:1 against white (so also >= 3:1 against the track).
export const PALETTE = ["#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0e7490", "#4b5563"];

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Sum the API's breakdown rows ({fileType, category, totalSize, fileCount})
// by one key, dropping empty groups, largest first.
export function groupBy(rows, key) {
  const sums = new Map();
  for (const r of rows || []) {
    const k = r[key] || "other";
    const s = sums.get(k) || { key: k, size: 0, count: 0 };
    s.size += Number(r.totalSize) || 0;
    s.count += Number(r.fileCount) || 0;
    sums.set(k, s);
  }
  return [...sums.values()].filter((s) => s.size > 0).sort((a, b) => b.size - a.size || (a.key < b.key ? -1 : 1));
}

// items: [{key, label, size, count}]; returns an <svg> (or a <p> when empty).
export function barChart(items, { id, title }) {
  if (!items.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "No files yet.";
    return p;
  }
  const total = items.reduce((a, b) => a + b.size, 0);
  const ROW = 46;
  const svg = el("svg", {
    width: "100%",
    height: items.length * ROW,
    role: "img",
    "aria-labelledby": `${id}-title`,
    class: "bar-chart",
  });
  const summary = items
    .map((it) => `${it.label}: ${formatBytes(it.size)} (${formatPercent((it.size / total) * 100)})`)
    .join("; ");
  svg.appendChild(el("title", { id: `${id}-title` }, `${title}. ${summary}.`));
  items.forEach((it, i) => {
    const pct = (it.size / total) * 100;
    const y = i * ROW;
    const g = el("g", { "data-key": it.key });
    const files = `${it.count} file${it.count === 1 ? "" : "s"}`;
    g.appendChild(el("text", { x: 0, y: y + 15, class: "bar-label" }, it.label));
    g.appendChild(el("text", { x: "100%", y: y + 15, "text-anchor": "end", class: "bar-value" },
      `${formatBytes(it.size)} · ${formatPercent(pct)} · ${files}`));
    g.appendChild(el("rect", { x: 0, y: y + 23, width: "100%", height: 12, rx: 3, class: "bar-track" }));
    // A visible sliver even for a tiny share.
    const w = Math.max(pct, 0.75);
    g.appendChild(el("rect", { x: 0, y: y + 23, width: `${w}%`, height: 12, rx: 3, fill: PALETTE[i % PALETTE.length] }));
    svg.appendChild(g);
  });
  return svg;
}
