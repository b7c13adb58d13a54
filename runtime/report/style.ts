// The report's inline stylesheet: system sans-serif, cards, aligned numeric tables, responsive grids.
export const REPORT_CSS = `
:root { --fg: #1d2430; --muted: #5b6577; --line: #e3e7ee; --bg: #f4f6fa; --card: #fff; --accent: #2f6fde;
  --warn-bg: #fff4e5; --warn-line: #f59e0b; --warn-fg: #7c2d12; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
header.top { background: #1d2430; color: #fff; padding: 22px 0 18px; }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
header.top h1 { margin: 0 0 4px; font-size: 1.55rem; font-weight: 650; }
header.top .sub { color: #b8c2d3; font-size: .92rem; }
header.top .sub code { color: #dbe4f3; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.kpi { background: rgba(255,255,255,.08); border: 1px solid rgba(255,255,255,.12); border-radius: 8px; padding: 8px 16px; min-width: 130px; }
.kpi .v { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi .k { font-size: .78rem; color: #b8c2d3; text-transform: uppercase; letter-spacing: .04em; }
nav.toc { margin-top: 14px; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: .88rem; }
nav.toc a { color: #9cc0ff; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.banner { background: var(--warn-bg); border: 1px solid var(--warn-line); border-left: 6px solid var(--warn-line);
  color: var(--warn-fg); border-radius: 8px; padding: 14px 18px; margin: 18px 0 0; }
.banner strong { font-size: 1.05rem; display: block; margin-bottom: 4px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px; margin: 18px 0; }
section h2 { font-size: 1.2rem; margin: 0 0 12px; }
section h3 { font-size: 1rem; margin: 18px 0 8px; }
section h3 .count { color: var(--muted); font-weight: 400; font-size: .9rem; }
p.note { color: var(--muted); font-size: .88rem; margin: 6px 0 10px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 7px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; }
.num { text-align: right; white-space: nowrap; }
tr.overall td { font-weight: 700; border-top: 2px solid var(--fg); border-bottom: none; }
td.na { color: #a0a8b6; }
table.kv { width: auto; min-width: 50%; }
table.kv th { text-transform: none; letter-spacing: 0; font-size: .9rem; width: 14em; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 18px; }
.plots figure { margin: 0; }
.plots figcaption { font-weight: 600; margin-bottom: 4px; }
svg.plot { width: 100%; max-width: 500px; height: auto; display: block; }
svg .plot-bg { fill: #fbfcfe; }
svg .axes { fill: none; stroke: #8a94a6; stroke-width: 1; }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .chance { stroke: #9aa3b2; stroke-width: 1; stroke-dasharray: 4 4; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #3a4354; }
svg .tick { font-size: 11px; fill: #5b6577; }
svg .axis-label { font-size: 12px; font-weight: 600; }
svg .legend { font-size: 12px; }
.missing { color: var(--muted); font-style: italic; padding: 24px 0; }
.scale { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
svg.colourbar { width: 320px; height: 40px; }
.cases { display: grid; grid-template-columns: repeat(var(--per-row, 2), minmax(0, 1fr)); gap: 14px; }
.case { border: 1px solid var(--line); border-radius: 8px; padding: 10px 10px 8px; background: #fcfdfe; }
.case .head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; margin-bottom: 8px; font-size: .88rem; }
.case .head .id { font-weight: 600; overflow-wrap: anywhere; }
.case .head .score { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.triple { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; }
.triple figure { margin: 0; }
.triple img { width: 100%; height: auto; display: block; border-radius: 4px; background: #000; }
.triple figcaption { font-size: .72rem; color: var(--muted); text-align: center; margin-top: 2px; }
.tag { display: inline-block; font-size: .7rem; font-weight: 700; text-transform: uppercase; letter-spacing: .05em;
  border-radius: 4px; padding: 1px 6px; margin-right: 6px; }
.tag.worst { background: #fde8e8; color: #b42318; }
.tag.best { background: #e7f6ec; color: #137333; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 8px; font-size: .85rem; font-weight: 600; }
.badge.yes { background: #e7f6ec; color: #137333; }
.badge.no { background: #fde8e8; color: #b42318; }
.bar { height: 10px; background: var(--accent); border-radius: 3px; min-width: 1px; }
td.bar-cell { width: 60%; }
table.timings td:first-child { width: 28%; }
.two-col { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 18px; margin: 18px 0; }
.two-col section { margin: 0; }
.two-col table.kv { width: 100%; }
pre { background: #0f172a; color: #e2e8f0; padding: 14px 16px; border-radius: 8px; overflow: auto; max-height: 520px;
  font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; margin: 0; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
details summary { cursor: pointer; color: var(--accent); margin: 4px 0 10px; }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 8px 0 32px; }
@media (max-width: 860px) { .cases { grid-template-columns: 1fr; } }
@media (max-width: 640px) { .wrap { padding: 0 12px; } section { padding: 14px; } }
@media print { body { background: #fff; } section { break-inside: avoid; } }
`;
