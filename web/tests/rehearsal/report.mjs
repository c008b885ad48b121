// The rehearsal's report: a Markdown summary (for the terminal and notes) and one
// self-contained HTML page with its plots drawn as inline SVG (no script, no
// download): RSS per process over time, caption latency, the alert timeline and the
// faults with how long each part was away. Pure functions of the recorded run.

const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** A round step for an axis spanning `span` with about `n` ticks. */
function step(span, n) {
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

/**
 * An SVG chart. `series`: [{name, points: [[x, y]], dots?}]; x in seconds of the run.
 * `faults`: [{t, label}] drawn as dashed verticals; `spans`: [{from, to}] shaded;
 * `lines`: [{y, label}] horizontal guides.
 */
export function chart({ title, series, faults = [], spans = [], lines = [], xMax, yLabel, yFmt = (v) => String(v), width = 900, height = 300 }) {
  const m = { l: 64, r: 190, t: 28, b: 36 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat(lines.map((l) => l.y));
  const yMax = Math.max(1e-9, ...ys) * 1.1;
  const X = (x) => m.l + (x / Math.max(1e-9, xMax)) * w;
  const Y = (y) => m.t + h - (y / yMax) * h;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  out.push(`<text x="${m.l}" y="18" class="title">${esc(title)}</text>`);
  for (const s of spans) out.push(`<rect x="${X(s.from)}" y="${m.t}" width="${Math.max(1, X(s.to) - X(s.from))}" height="${h}" class="span"><title>${esc(s.label ?? "")}</title></rect>`);
  const ys_ = step(yMax, 5);
  for (let y = 0; y <= yMax; y += ys_) {
    out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${Y(y)}" y2="${Y(y)}" class="grid"/><text x="${m.l - 6}" y="${Y(y) + 4}" class="tick" text-anchor="end">${esc(yFmt(y))}</text>`);
  }
  const xs_ = step(xMax, 8);
  for (let x = 0; x <= xMax; x += xs_) out.push(`<text x="${X(x)}" y="${m.t + h + 16}" class="tick" text-anchor="middle">${Math.round(x)} s</text>`);
  out.push(`<text x="14" y="${m.t + h / 2}" class="tick" transform="rotate(-90 14 ${m.t + h / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  // Labels staggered in three rows so neighbours do not overprint.
  faults.forEach((f, i) => {
    out.push(`<line x1="${X(f.t)}" x2="${X(f.t)}" y1="${m.t}" y2="${m.t + h}" class="fault"/><text x="${X(f.t) + 3}" y="${m.t + 10 + (i % 3) * 11}" class="flabel">${esc(f.label)}</text>`);
  });
  for (const l of lines) out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${Y(l.y)}" y2="${Y(l.y)}" class="guide"/><text x="${m.l + w + 4}" y="${Y(l.y) + 4}" class="tick">${esc(l.label)}</text>`);
  series.forEach((s, i) => {
    const c = s.colour ?? COLOURS[i % COLOURS.length];
    if (s.dots) {
      for (const [x, y, tip] of s.points) out.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="4" fill="${c}"><title>${esc(tip ?? `${y}`)}</title></circle>`);
    } else if (s.points.length) {
      // A break where the process was away (a gap over 3 samples' time).
      let d = "";
      let last = null;
      for (const [x, y] of s.points) {
        d += `${last === null || x - last > 10 ? "M" : "L"}${X(x).toFixed(1)},${Y(y).toFixed(1)} `;
        last = x;
      }
      out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"/>`);
    }
    out.push(`<rect x="${m.l + w + 8}" y="${m.t + 14 * i}" width="10" height="10" fill="${c}"/><text x="${m.l + w + 22}" y="${m.t + 9 + 14 * i}" class="tick">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("");
}

/** The alert timeline: one lane per stage (sent by Twitch, on air at the hub, shown by the page). */
export function timeline({ title, lanes, faults = [], xMax, width = 900 }) {
  const m = { l: 120, r: 30, t: 40, b: 30 };
  const laneH = 34;
  const height = m.t + m.b + laneH * lanes.length;
  const w = width - m.l - m.r;
  const X = (x) => m.l + (x / Math.max(1e-9, xMax)) * w;
  const types = [...new Set(lanes.flatMap((l) => l.marks.map((k) => k.type)))];
  const colour = (t) => COLOURS[types.indexOf(t) % COLOURS.length];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  out.push(`<text x="${m.l}" y="18" class="title">${esc(title)}</text>`);
  lanes.forEach((lane, i) => {
    const y = m.t + laneH * i + laneH / 2;
    out.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 8}" y="${y + 4}" class="tick" text-anchor="end">${esc(lane.name)}</text>`);
    for (const k of lane.marks) out.push(`<rect x="${X(k.t) - 3}" y="${y - 9}" width="6" height="18" fill="${colour(k.type)}"><title>${esc(`${k.type} ${k.label ?? ""} at ${k.t.toFixed(1)} s`)}</title></rect>`);
  });
  faults.forEach((f, i) => out.push(`<line x1="${X(f.t)}" x2="${X(f.t)}" y1="${m.t}" y2="${height - m.b}" class="fault"/><text x="${X(f.t) + 3}" y="${m.t - 2 - (i % 2) * 10}" class="flabel">${esc(f.label)}</text>`));
  types.forEach((t, i) => out.push(`<rect x="${m.l + 110 * i}" y="${height - 12}" width="10" height="10" fill="${colour(t)}"/><text x="${m.l + 14 + 110 * i}" y="${height - 3}" class="tick">${esc(t)}</text>`));
  out.push("</svg>");
  return out.join("");
}

/** Faults as bars: from the fault to the part being back (red when past its bound). */
export function recoveryBars({ title, recoveries, xMax, width = 900 }) {
  const m = { l: 230, r: 90, t: 28, b: 20 };
  const rowH = 26;
  const height = m.t + m.b + rowH * recoveries.length;
  const w = width - m.l - m.r;
  const X = (x) => m.l + (x / Math.max(1e-9, xMax)) * w;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  out.push(`<text x="${m.l}" y="18" class="title">${esc(title)}</text>`);
  recoveries.forEach((r, i) => {
    const y = m.t + rowH * i;
    const back = r.back_ms === null ? r.bound_ms : r.back_ms;
    const late = r.back_ms === null || r.back_ms > r.bound_ms;
    const x0 = X(r.t);
    const x1 = X(r.t + back / 1000);
    out.push(`<text x="${m.l - 8}" y="${y + 15}" class="tick" text-anchor="end">${esc(`${r.fault} → ${r.service}`)}</text>`);
    out.push(`<rect x="${x0}" y="${y + 4}" width="${Math.max(2, x1 - x0)}" height="16" fill="${late ? "#e15759" : "#59a14f"}"><title>${esc(`${r.fault}: ${r.back_ms === null ? "not back" : `${r.back_ms} ms`} (bound ${r.bound_ms} ms)`)}</title></rect>`);
    out.push(`<text x="${x1 + 4}" y="${y + 15}" class="tick">${r.back_ms === null ? "not back" : `${(r.back_ms / 1000).toFixed(1)} s`}</text>`);
  });
  out.push("</svg>");
  return out.join("");
}

/** The Markdown summary. */
export function markdown(run) {
  const rows = run.checks.map((c) => `| ${c.ok ? "pass" : "**FAIL**"} | ${c.name} | ${c.summary.replace(/\|/g, "/")} |`);
  const problems = run.checks.flatMap((c) => c.problems.map((p) => `- ${c.name}: ${p}`));
  const faults = run.faults.map((f) => `| ${f.t.toFixed(1)} s | ${f.label} | ${f.note ?? ""} |`);
  return [
    `# Rehearsal ${run.started_iso}`,
    "",
    `${run.minutes} min compressed evening on ${run.machine}; ${run.checks.every((c) => c.ok) ? "every check passed" : `${run.checks.filter((c) => !c.ok).length} check(s) failed`}. Plots: report.html.`,
    "",
    "| result | check | figures |",
    "| --- | --- | --- |",
    ...rows,
    "",
    ...(problems.length ? ["## Problems", "", ...problems, ""] : []),
    "## Faults",
    "",
    "| at | fault | note |",
    "| --- | --- | --- |",
    ...faults,
    "",
    "## Parts",
    "",
    ...run.parts.map((p) => `- ${p}`),
    "",
  ].join("\n");
}

/** The HTML page: the summary table, then the plots. */
export function html(run, plots) {
  const rows = run.checks
    .map((c) => `<tr class="${c.ok ? "ok" : "bad"}"><td>${c.ok ? "pass" : "FAIL"}</td><td>${esc(c.name)}</td><td>${esc(c.summary)}${c.problems.length ? `<ul>${c.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : ""}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Landale rehearsal ${esc(run.started_iso)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px 8px;vertical-align:top;text-align:left}
tr.ok td:first-child{color:#2e7d32;font-weight:600}tr.bad td:first-child{color:#c62828;font-weight:700}
svg{background:#fafafa;border:1px solid #eee;margin:8px 0;max-width:100%;height:auto}
.title{font-weight:600;font-size:13px}.tick{font-size:11px;fill:#555}.grid{stroke:#e4e4e4}
.fault{stroke:#c62828;stroke-dasharray:4 3}.flabel{font-size:10px;fill:#c62828}.guide{stroke:#888;stroke-dasharray:2 2}
.span{fill:#c62828;opacity:.07}
</style></head><body>
<h1>Landale rehearsal: ${run.checks.every((c) => c.ok) ? "every check passed" : "some checks failed"}</h1>
<p>${esc(run.minutes)} min compressed evening, ${esc(run.started_iso)}, on ${esc(run.machine)}. Red dashed lines are the faults.</p>
<table><tr><th>result</th><th>check</th><th>figures</th></tr>${rows}</table>
${plots.map((p) => `<h2>${esc(p.heading)}</h2><p>${esc(p.caption)}</p>${p.svg}`).join("\n")}
<h2>Parts</h2><ul>${run.parts.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>
${run.notes?.length ? `<h2>Notes</h2><ul>${run.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
</body></html>
`;
}
