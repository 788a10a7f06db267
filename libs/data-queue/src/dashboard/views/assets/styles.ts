/** The dashboard's whole stylesheet (served from /assets): light and dark themes via `data-theme`. */
export const styles = `
:root {
  color-scheme: light;
  --bg: #f6f7f9; --surface: #ffffff; --fg: #1c2330; --muted: #5d6778; --border: #dde1e7;
  --zebra: #f9fafb; --accent: #2f5fd0; --accent-fg: #ffffff; --focus: #7aa2ff;
  --ok: #1d7f45; --ok-bg: #dcf3e5; --err: #b3261e; --err-bg: #fbe2df; --warn: #8a5a00; --warn-bg: #fdefcc;
  --info: #2450b3; --info-bg: #e0e9fc; --wait: #6b3fa0; --wait-bg: #eee4fa; --idle: #4f5866; --idle-bg: #e8eaee;
  --chart-completed: #2e9e5b; --chart-failed: #d0453a; --grid: #e6e9ee;
}
:root[data-theme="dark"] {
  color-scheme: dark;
  --bg: #12151b; --surface: #1a1f27; --fg: #e3e7ee; --muted: #9aa3b2; --border: #2d3440;
  --zebra: #1f252e; --accent: #7ea2ff; --accent-fg: #0d1320; --focus: #7ea2ff;
  --ok: #7fd9a0; --ok-bg: #173a26; --err: #ff9a90; --err-bg: #47201d; --warn: #f3c55d; --warn-bg: #3f3113;
  --info: #9cbcff; --info-bg: #1d2c4c; --wait: #c9a6f5; --wait-bg: #322447; --idle: #b6bdc9; --idle-bg: #2a303a;
  --chart-completed: #5cc98a; --chart-failed: #f0776c; --grid: #2a313c;
}
* { box-sizing: border-box; }
html { font-size: 14px; }
body {
  margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
code, pre, .mono, .stack-form textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1 { font-size: 1.45rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .55rem 1.5rem;
  background: var(--surface); border-bottom: 1px solid var(--border);
}
.brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); }
.main-nav { display: flex; flex-wrap: wrap; gap: .25rem; }
.main-nav a { padding: .35rem .7rem; border-radius: 6px; color: var(--muted); }
.main-nav a:hover { background: var(--zebra); text-decoration: none; color: var(--fg); }
.main-nav a[aria-current="page"] { background: var(--info-bg); color: var(--info); font-weight: 600; }
.tools { margin-left: auto; display: flex; align-items: center; gap: .5rem; }
main { padding: 1.25rem 1.5rem 3rem; max-width: 1400px; margin: 0 auto; }
main.bare { max-width: 640px; padding-top: 4rem; }
.page-head { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem 1rem; margin-bottom: 1rem; }
.page-head .subtitle { color: var(--muted); }
.page-head .actions { margin-left: auto; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.message { max-width: 40rem; margin: 0 auto; }
.message h1 { margin-bottom: .6rem; }
button, select, input {
  font: inherit; color: var(--fg); background: var(--surface); border: 1px solid var(--border);
  border-radius: 6px; padding: .3rem .6rem;
}
button { cursor: pointer; font-weight: 500; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .55; cursor: progress; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
button.danger { color: var(--err); }
button.danger:hover { border-color: var(--err); }
.toggle { display: inline-flex; align-items: center; gap: .4rem; }
.toggle .dot { width: .55rem; height: .55rem; border-radius: 50%; background: var(--idle-bg); border: 1px solid var(--muted); }
.toggle[aria-pressed="true"] { border-color: var(--ok); color: var(--ok); }
.toggle[aria-pressed="true"] .dot { background: var(--ok); border-color: var(--ok); }
.menu { position: relative; }
.menu summary { list-style: none; cursor: pointer; border: 1px solid var(--border); border-radius: 6px; padding: .3rem .6rem; }
.menu summary::-webkit-details-marker { display: none; }
.menu summary::after { content: " ▾"; color: var(--muted); }
.menu ul {
  position: absolute; right: 0; z-index: 10; margin: .3rem 0 0; padding: .3rem 0; list-style: none; min-width: 11rem;
  background: var(--surface); border: 1px solid var(--border); border-radius: 6px; box-shadow: 0 6px 18px rgb(0 0 0 / .15);
}
.menu li a { display: block; padding: .3rem .8rem; color: var(--fg); }
.menu li a[aria-current] { font-weight: 600; }
.menu li a:hover { background: var(--zebra); text-decoration: none; }
form.inline { display: inline-flex; gap: .35rem; align-items: center; margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.flash { margin: 1rem 1.5rem 0; padding: .6rem .9rem; border-radius: 6px; white-space: pre-line; background: var(--ok-bg); color: var(--ok); }
.flash.error { background: var(--err-bg); color: var(--err); }
.panel { background: var(--surface); border: 1px solid var(--border); border-radius: 8px; padding: 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: .6rem; }
.card {
  display: block; background: var(--surface); border: 1px solid var(--border); border-left: 4px solid var(--border);
  border-radius: 8px; padding: .6rem .8rem; color: var(--fg);
}
.card:hover { text-decoration: none; border-color: var(--accent); }
.card .value { display: block; font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); }
.card-completed { border-left-color: var(--ok); }
.card-failed { border-left-color: var(--err); }
.card-retrying { border-left-color: var(--warn); }
.card-processing, .card-pending { border-left-color: var(--info); }
.card-waiting { border-left-color: var(--wait); }
.card-blocked { border-left-color: var(--idle); border-left-style: dashed; }
.card-cancelled { border-left-color: var(--idle); }
.table-wrap { overflow-x: auto; background: var(--surface); border: 1px solid var(--border); border-radius: 8px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--border); vertical-align: middle; }
table.attempts td { vertical-align: top; }
table.facts th, table.facts td { vertical-align: baseline; }
th { font-weight: 600; color: var(--muted); font-size: .9rem; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th.check, td.check { width: 2rem; }
.table-wrap.facts { max-width: 56rem; }
table.facts th { width: 12rem; }
/* Each state's tone (--tone, --tone-bg), set once: the badges and the flow graph's nodes wear it. */
.badge {
  display: inline-block; padding: .08rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  white-space: nowrap; --tone: var(--idle); --tone-bg: var(--idle-bg); background: var(--tone-bg); color: var(--tone);
}
.state-pending, .state-processing, .batch-running, .outcome-running { --tone: var(--info); --tone-bg: var(--info-bg); }
.state-completed, .batch-succeeded, .outcome-completed { --tone: var(--ok); --tone-bg: var(--ok-bg); }
.state-failed, .batch-discarded, .outcome-failed, .badge.paused { --tone: var(--err); --tone-bg: var(--err-bg); }
.state-retrying, .badge.read-only { --tone: var(--warn); --tone-bg: var(--warn-bg); }
.state-waiting { --tone: var(--wait); --tone-bg: var(--wait-bg); }
.state-blocked, .state-cancelled, .batch-finished { --tone: var(--idle); --tone-bg: var(--idle-bg); }
.badge.state-blocked { outline: 1px dashed var(--idle); outline-offset: -1px; }
.tag { display: inline-block; padding: 0 .4rem; margin: 0 .15rem .15rem 0; border-radius: 4px; background: var(--idle-bg); color: var(--fg); font-size: .8rem; }
.progress { display: flex; height: .6rem; min-width: 8rem; border-radius: 999px; overflow: hidden; background: var(--idle-bg); }
.progress .segment { display: block; height: 100%; }
.seg-succeeded { background: var(--chart-completed); }
.seg-discarded { background: var(--chart-failed); }
.seg-pending { background: var(--muted); opacity: .35; }
.progress-row { display: flex; align-items: center; gap: .8rem; margin: .5rem 0 1rem; }
.progress-row .progress { flex: 1; max-width: 32rem; }
pre {
  margin: 0; padding: .8rem; overflow: auto; max-height: 32rem; background: var(--zebra);
  border: 1px solid var(--border); border-radius: 6px; white-space: pre-wrap; word-break: break-word;
}
details.stack summary { cursor: pointer; color: var(--muted); margin-top: .3rem; }
details.stack pre { margin-top: .4rem; max-height: 20rem; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; gap: .15rem; font-size: .85rem; color: var(--muted); }
.toolbar {
  display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: .6rem; padding: .5rem .7rem;
  background: var(--surface); border: 1px solid var(--border); border-radius: 8px;
}
.toolbar label { display: inline-flex; gap: .35rem; align-items: center; }
.tabs { display: flex; flex-wrap: wrap; gap: .3rem; margin-bottom: 1rem; }
.tabs a { padding: .3rem .8rem; border-radius: 999px; border: 1px solid var(--border); background: var(--surface); color: var(--fg); }
.tabs a[aria-current="page"] { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
.pager { display: flex; gap: 1rem; margin-top: .8rem; }
.empty { padding: 2rem; text-align: center; color: var(--muted); background: var(--surface); border: 1px dashed var(--border); border-radius: 8px; }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1.2rem; }
.chart svg { display: block; width: 100%; height: auto; }
.chart .axis { fill: var(--muted); font-size: 13px; }
.chart .gridline { stroke: var(--grid); stroke-width: 1; }
.chart .line { fill: none; stroke-width: 1.5; stroke-linejoin: round; }
.chart .completed { stroke: var(--chart-completed); }
.chart .failed { stroke: var(--chart-failed); }
.legend { display: flex; gap: 1.2rem; margin: .5rem 0 0; padding: 0; list-style: none; color: var(--muted); }
.legend .swatch { display: inline-block; width: .8rem; height: .25rem; margin-right: .35rem; vertical-align: middle; border-radius: 2px; }
.swatch.completed { background: var(--chart-completed); }
.swatch.failed { background: var(--chart-failed); }
.timeline { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 2px solid var(--border); }
.timeline li { position: relative; padding: 0 0 .7rem .6rem; }
.timeline li::before {
  content: ""; position: absolute; left: calc(-1rem - 6px); top: .35rem; width: 10px; height: 10px;
  border-radius: 50%; background: var(--surface); border: 2px solid var(--accent);
}
.timeline time { color: var(--muted); margin-right: .6rem; }
.flow-graph { overflow: auto; max-height: 75vh; background: var(--surface); border: 1px solid var(--border); border-radius: 8px; }
.flow-graph svg { display: block; }
.flow-links path { fill: none; stroke: var(--muted); stroke-width: 1.2; }
.flow-arrow { fill: var(--muted); }
.flow-node rect { fill: var(--tone-bg, var(--idle-bg)); stroke: var(--tone, var(--idle)); stroke-width: 1.5; }
.flow-node text { fill: var(--fg); font-size: 12px; }
.flow-node.state-blocked rect, .flow-node.outside rect { stroke-dasharray: 4 3; }
.flow-node:hover rect, .flow-node:focus rect { stroke-width: 3; }
.stack-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .8rem; }
`;
