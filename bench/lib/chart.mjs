// Hand-written SVG: grouped bars of req/s per route and server, one panel per mode,
// median bar with a min–max whisker and the median printed above it.
import { fmtRate } from "./util.mjs";

const COLORS = {
  catzilla: "#e4572e",
  "node-http": "#4c8c2b",
  fastify: "#7a7a7a",
  bun: "#c9a227",
  "plain-c": "#2e6fba",
};
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * panels: [{ title, groups: [{ label, bars: [{ server, median, min, max }] }] }]
 * servers: [{ name, label }] in legend order.
 */
export function renderChart({ title, subtitle, panels, servers }) {
  const W = 1000;
  const panelH = 330;
  const top = 78;
  const left = 78;
  const right = 20;
  const plotW = W - left - right;
  const H = top + panels.length * (panelH + 40) + 10;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="28" font-size="20" font-weight="bold" fill="#222">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${left}" y="48" font-size="12" fill="#555">${esc(subtitle)}</text>`);
  // legend
  let lx = left;
  for (const s of servers) {
    out.push(`<rect x="${lx}" y="58" width="12" height="12" fill="${COLORS[s.name] ?? "#999"}"/>`);
    out.push(`<text x="${lx + 16}" y="69" font-size="12" fill="#222">${esc(s.label)}</text>`);
    lx += 24 + s.label.length * 7.2;
  }
  panels.forEach((panel, pi) => {
    const y0 = top + pi * (panelH + 40) + 30; // top of plot area
    const plotH = panelH - 60;
    const yBase = y0 + plotH;
    // Headroom above the tallest whisker for its rotated value label.
    const vmax = niceMax(1.1 * Math.max(...panel.groups.flatMap((g) => g.bars.map((b) => (Number.isFinite(b.max) ? b.max : b.median || 0)))));
    out.push(`<text x="${left}" y="${y0 - 12}" font-size="15" font-weight="bold" fill="#222">${esc(panel.title)}</text>`);
    // grid + axis labels
    for (let i = 0; i <= 5; i++) {
      const v = (vmax * i) / 5;
      const y = yBase - (plotH * i) / 5;
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${i ? "#e3e3e3" : "#888"}" stroke-width="1"/>`);
      out.push(`<text x="${left - 8}" y="${y + 4}" font-size="11" text-anchor="end" fill="#444">${fmtRate(v)}</text>`);
    }
    out.push(`<text transform="translate(${left - 58},${y0 + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#444">requests / s</text>`);
    const gw = plotW / panel.groups.length;
    panel.groups.forEach((g, gi) => {
      const gx = left + gi * gw;
      const n = Math.max(g.bars.length, 1);
      const bw = Math.min(34, (gw - 24) / n);
      const startX = gx + (gw - bw * n) / 2;
      g.bars.forEach((b, bi) => {
        const x = startX + bi * bw;
        const h = Number.isFinite(b.median) ? (plotH * b.median) / vmax : 0;
        const color = COLORS[b.server] ?? "#999";
        out.push(`<rect x="${x + 2}" y="${yBase - h}" width="${bw - 4}" height="${h}" fill="${color}"><title>${esc(`${b.label ?? b.server} ${g.label}: ${fmtRate(b.median)} req/s (min ${fmtRate(b.min)}, max ${fmtRate(b.max)})`)}</title></rect>`);
        if (Number.isFinite(b.min) && Number.isFinite(b.max) && b.max > b.min) {
          const cx = x + bw / 2;
          const y1 = yBase - (plotH * b.min) / vmax;
          const y2 = yBase - (plotH * b.max) / vmax;
          out.push(`<line x1="${cx}" x2="${cx}" y1="${y1}" y2="${y2}" stroke="#222" stroke-width="1"/>`);
          out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y2}" y2="${y2}" stroke="#222" stroke-width="1"/>`);
          out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y1}" y2="${y1}" stroke="#222" stroke-width="1"/>`);
        }
        const ly = Math.min(yBase - h, Number.isFinite(b.max) ? yBase - (plotH * b.max) / vmax : yBase) - 5;
        const tx = x + bw / 2;
        out.push(`<text transform="translate(${tx + 3},${ly}) rotate(-90)" font-size="10" fill="#222">${Number.isFinite(b.median) ? fmtRate(b.median) : "n/a"}</text>`);
      });
      out.push(`<text x="${gx + gw / 2}" y="${yBase + 18}" font-size="13" text-anchor="middle" fill="#222">${esc(g.label)}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
