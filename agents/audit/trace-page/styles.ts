/** The pages' only styles, inline: the page must work from a single request, with no build step. */
export const STYLES = `
:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bad: #b42318; --bad-bg: #fef3f2; --bg: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); background: #f9fafb; }
header .home { font-weight: 600; color: var(--fg); text-decoration: none; white-space: nowrap; }
header form { display: flex; gap: .5rem; flex: 1; max-width: 44rem; }
header input { flex: 1; padding: .4rem .6rem; border: 1px solid #d0d5dd; border-radius: 6px; font: inherit; }
header button { padding: .4rem .9rem; border: 0; border-radius: 6px; background: #344054; color: #fff; font: inherit; cursor: pointer; }
main { padding: 1rem 1.5rem 3rem; max-width: 90rem; }
h1 { font-size: 1.3rem; margin: .5rem 0 .25rem; word-break: break-all; }
h2 { font-size: 1.05rem; margin: 1.75rem 0 .5rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: var(--bad); font-weight: 600; }
.empty { color: var(--muted); }
.waterfall { display: grid; grid-template-columns: minmax(16rem, 28rem) 1fr 5rem; gap: 0 .75rem; align-items: center; }
.waterfall .label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: .15rem 0; }
.waterfall .track { position: relative; height: 1.1rem; background: repeating-linear-gradient(90deg, transparent 0 calc(25% - 1px), var(--line) calc(25% - 1px) 25%); }
.waterfall .bar { position: absolute; top: .2rem; height: .7rem; min-width: 3px; border-radius: 2px; }
.waterfall .gap { text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; }
.waterfall .row-bad .label { color: var(--bad); }
.waterfall .axis { color: var(--muted); font-size: 12px; display: flex; justify-content: space-between; }
.s0 { background: #2e90fa; } .s1 { background: #12b76a; } .s2 { background: #f79009; } .s3 { background: #7a5af8; }
.s4 { background: #ee46bc; } .s5 { background: #06aed4; } .s6 { background: #66c61c; } .s7 { background: #875bf7; }
.bar.failed { background: var(--bad); }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.4rem; border-left: 1px dashed #d0d5dd; }
ul.tree { padding-left: 0; border-left: 0; }
ul.tree li { margin: .15rem 0; }
ul.tree summary { cursor: pointer; padding: .1rem .25rem; border-radius: 4px; }
ul.tree summary:hover { background: #f2f4f7; }
ul.tree .type { font-weight: 600; }
ul.tree .meta { color: var(--muted); margin-left: .5rem; }
ul.tree .failed > details > summary { background: var(--bad-bg); }
ul.tree .note { color: var(--bad); margin-left: .5rem; }
.agents a { margin-right: .9rem; }
pre.json { background: #f9fafb; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; overflow-x: auto; margin: .3rem 0 .6rem; white-space: pre-wrap; word-break: break-all; }
`;
