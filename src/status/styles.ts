/**
 * Inline stylesheet of the status page. Colours are paired so that text keeps a contrast of at least 7:1
 * against its background, and state is always spelled out in words too, never shown by colour alone.
 */
export const STATUS_CSS = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
  background: #fff; margin: 0; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 1rem; }
header { border-bottom: 1px solid #c8ccd2; padding-bottom: .5rem; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
p.meta { margin: 0; color: #4a4a4a; }
a { color: #0b4fb3; }
a:focus-visible { outline: 3px solid #0b4fb3; outline-offset: 2px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.notice { border-left: 6px solid; padding: .6rem .9rem; margin: 1rem 0; }
.notice.bad { border-color: #9b1c1c; background: #fdecec; color: #5c1010; }
.notice.warn { border-color: #8a5a00; background: #fef3c7; color: #4a3000; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0 .5rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d9dce1; vertical-align: top; }
thead th { background: #eef0f3; }
td.num, th.num { text-align: right; white-space: nowrap; }
time { white-space: nowrap; }
td.reason, td.problem, td.url { overflow-wrap: anywhere; max-width: 40rem; }
.state { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-weight: 600; }
.state.ok { background: #e3f3e8; color: #0f4023; }
.state.bad { background: #fdecec; color: #6b1111; }
.state.none { background: #eef0f3; color: #333; }
tr.bad td.problem { color: #6b1111; font-weight: 600; }
footer { margin: 2rem auto; color: #4a4a4a; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
`;
