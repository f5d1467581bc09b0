"""Self-contained HTML report: summary by rule with counts, filters, and drill-down to the failing records.

One file, inline CSS and JavaScript, no network.  The data sits in the page as JSON;
the drill-down of a rule and dataset shows its findings grouped by problem (the same variables, values and
status): one line per group with its count and first records, at most ``DETAIL_CAP`` groups (every record
is in findings.csv).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult
from converters.validate.reports import DETAIL_CAP, dataset_rows, finding_groups

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conformance report {{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1d2330;font-size:14px}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.meta{color:#555;margin-bottom:1rem}.cards{display:flex;gap:.8rem;margin:.8rem 0}
.card{border:1px solid #d8dce3;border-radius:6px;padding:.5rem .9rem;min-width:8rem}
.card b{display:block;font-size:1.3rem}.Error b{color:#b3261e}.Warning b{color:#a05a00}.Notice b{color:#2b5797}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6eb;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f5f8;position:sticky;top:0}tr.rule{cursor:pointer}tr.rule:hover{background:#f6f9ff}
tr.sel{background:#e8f0fe}.sev{font-weight:600}.sev.Error{color:#b3261e}.sev.Warning{color:#a05a00}.sev.Notice{color:#2b5797}
.ok{color:#2e7d32}.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem;background:#f7f8fa;border-radius:6px}
#detail{margin-top:1rem}.muted{color:#777}.num{text-align:right}code{font-size:12px}
.tag{display:inline-block;padding:0 .35rem;border-radius:4px;font-size:11px;background:#e6f4ea;color:#1e6b32}
.tag.new{background:#fde7e9;color:#a0141e}
</style></head><body>
<h1>Conformance report{% if title %}: {{ title }}{% endif %}</h1>
<div class="meta">Study <b>{{ study }}</b> &middot; {{ standard }} &middot; {{ folder_version }} &middot; CDISC CT {{ ct }} &middot;
{{ datasets|length }} datasets &middot; {{ rules_run }} rules run &middot; {{ tool }}</div>
<div class="cards">
{% for sev in ["Error", "Warning", "Notice"] %}<div class="card {{ sev }}"><b>{{ totals[sev].open }}</b>{{ sev }}s unexplained
<div class="muted">{{ totals[sev].all }} found, {{ totals[sev].explained }} explained</div></div>{% endfor %}
</div>
{% if rule_errors %}<p class="sev Error">Rules that could not run: {% for k, v in rule_errors.items() %}{{ k }} ({{ v }}) {% endfor %}</p>{% endif %}
{% if stale %}<p class="muted">Dispositions that matched no finding (remove or update them):
{% for d in stale %}{{ d.rule }}{% if d.dataset %}/{{ d.dataset }}{% endif %} (line {{ d.line }}); {% endfor %}</p>{% endif %}
<h2>Summary by rule</h2>
<div class="filters">
<span>Severity: {% for sev in ["Error", "Warning", "Notice"] %}<label><input type="checkbox" class="fsev" value="{{ sev }}" checked> {{ sev }}</label> {% endfor %}</span>
<label>Dataset: <select id="fds"><option value="">all</option>{% for d in datasets %}<option>{{ d.dataset }}</option>{% endfor %}</select></label>
<label><input type="checkbox" id="fopen"> unexplained only</label>
<label>Search: <input id="ftext" placeholder="rule, message, citation"></label>
<span class="muted" id="shown"></span>
</div>
<table id="summary"><thead><tr><th>Rule</th><th>Severity</th><th>Dataset</th><th class="num">Findings</th>
<th class="num">Explained</th><th class="num">New</th><th>Message</th><th>Citation</th><th>CORE / FDA</th></tr></thead><tbody></tbody></table>
<p id="none" class="ok" hidden>No findings.</p>
<div id="detail"></div>
<h2>Datasets read</h2>
<table><thead><tr><th>Dataset</th><th>Label</th><th class="num">Records</th><th class="num">Variables</th><th>File</th></tr></thead><tbody>
{% for d in datasets %}<tr><td>{{ d.dataset }}</td><td>{{ d.label }}</td><td class="num">{{ d.records }}</td><td class="num">{{ d.variables }}</td><td>{{ d.file }}</td></tr>{% endfor %}
</tbody></table>
<script id="data" type="application/json">{{ data }}</script>
<script>
(function(){
const D = JSON.parse(document.getElementById('data').textContent);
const tbody = document.querySelector('#summary tbody');
const esc = s => String(s == null ? '' : s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function filters(){
  return {sev: new Set([...document.querySelectorAll('.fsev:checked')].map(e => e.value)),
          ds: document.getElementById('fds').value, open: document.getElementById('fopen').checked,
          text: document.getElementById('ftext').value.toLowerCase()};
}
function render(){
  const f = filters(); let n = 0; tbody.innerHTML = '';
  D.summary.forEach((r, i) => {
    if (!f.sev.has(r.severity) || (f.ds && r.dataset !== f.ds) || (f.open && r.unexplained === 0)) return;
    const hay = (r.rule + ' ' + r.title + ' ' + r.message + ' ' + r.citation + ' ' + r.dataset).toLowerCase();
    if (f.text && !hay.includes(f.text)) return;
    n++;
    const tr = document.createElement('tr'); tr.className = 'rule'; tr.dataset.i = i;
    tr.innerHTML = '<td><b>' + esc(r.rule) + '</b><div class="muted">' + esc(r.title) + '</div></td><td class="sev ' + r.severity + '">' +
      r.severity + '</td><td>' + esc(r.dataset) + '</td><td class="num">' + r.count + '</td><td class="num">' +
      (r.explained ? '<span class="ok">' + r.explained + '</span>' : 0) + '</td><td class="num">' + r.new + '</td><td>' + esc(r.message) +
      '</td><td class="muted">' + esc(r.citation) + '</td><td class="muted">' + esc([r.core, r.fda].filter(Boolean).join(' / ')) + '</td>';
    tr.addEventListener('click', () => show(i, tr));
    tbody.appendChild(tr);
  });
  document.getElementById('shown').textContent = n + ' of ' + D.summary.length + ' rule/dataset rows';
  document.getElementById('none').hidden = D.summary.length > 0;
}
function show(i, tr){
  document.querySelectorAll('tr.sel').forEach(e => e.classList.remove('sel')); tr.classList.add('sel');
  const r = D.summary[i]; const rows = D.details[r.rule + '|' + r.dataset] || [];
  const open = document.getElementById('fopen').checked;
  let h = '<h2>' + esc(r.rule) + ' in ' + esc(r.dataset) + ': ' + esc(r.title) + '</h2><p>' + esc(r.message) + '</p>' +
    '<table><thead><tr><th class="num">Records</th><th class="num">First record</th><th>USUBJID</th><th>Seq</th><th>Variable</th><th>Values</th><th>Status</th></tr></thead><tbody>';
  rows.forEach(x => {
    if (open && x.explained) return;
    h += '<tr><td class="num">' + esc(x.count) + '</td><td class="num">' + esc(x.record) +
      (x.count > 1 ? '<div class="muted">' + esc(x.more) + '</div>' : '') + '</td><td>' + esc(x.usubjid) + '</td><td>' + esc(x.seq) + '</td><td>' + esc(x.variable) +
      '</td><td><code>' + esc(x.values) + '</code></td><td>' + (x.explained ? '<span class="tag">explained</span> ' + esc(x.reason) + ' <span class="muted">' + esc(x.by) + '</span>'
      : (x.new ? '<span class="tag new">new</span>' : '')) + '</td></tr>';
  });
  h += '</tbody></table>';
  const shown = rows.reduce((n, x) => n + x.count, 0);
  if (r.count > shown) h += '<p class="muted">' + (r.count - shown) + ' more records not shown; findings.csv lists every finding.</p>';
  const d = document.getElementById('detail'); d.innerHTML = h; d.scrollIntoView({behavior: 'smooth'});
}
document.querySelectorAll('.fsev,#fds,#fopen').forEach(e => e.addEventListener('change', render));
document.getElementById('ftext').addEventListener('input', render);
render();
if (location.hash === '#first' && tbody.firstChild) tbody.firstChild.click();
})();
</script>
</body></html>
"""


def write_html(result: ValidationResult, summary: pd.DataFrame, path: Path, title: str = "") -> Path:
    import jinja2

    from converters import __version__

    f = result.findings
    details: dict[str, list[dict]] = {}
    if len(f):
        groups = finding_groups(result)
        shown = groups.groupby(["rule", "dataset"], sort=False).head(DETAIL_CAP)
        cols = ["rule", "dataset", "count", "record", "usubjid", "seq", "variable", "values", "explained", "reason",
                "by", "new"]
        part = shown[cols].astype(object)
        part = part.where(part.notna(), "")
        part["more"] = [("records " + ", ".join(str(r["record"]) for r in records) +
                         (" ..." if count > len(records) else "")) for records, count in zip(shown["records"],
                                                                                            shown["count"])]
        for key, group in part.groupby(["rule", "dataset"], sort=False):
            details[f"{key[0]}|{key[1]}"] = group.drop(columns=["rule", "dataset"]).to_dict(orient="records")
    totals = {}
    for sev in ("Error", "Warning", "Notice"):
        sub = f[f["severity"].eq(sev)] if len(f) else f
        explained = int(sub["explained"].astype(bool).sum()) if len(sub) else 0
        totals[sev] = {"all": len(sub), "explained": explained, "open": len(sub) - explained}
    payload = {"summary": summary.astype(object).where(summary.notna(), "").to_dict(orient="records"),
               "details": details}
    data = json.dumps(payload, ensure_ascii=True, default=_plain).replace("</", "<\\/")
    env = jinja2.Environment(autoescape=True)
    study = result.study
    html = env.from_string(TEMPLATE).render(
        title=title, study=study.studyid if study else "", standard=study.standard if study else "",
        folder_version=folder_version(study),
        ct="2025-03-28", datasets=dataset_rows(result), rules_run=len(result.rules), tool=f"cdisc-convert {__version__}",
        totals=totals, rule_errors=result.rule_errors, stale=result.stale_dispositions, data=jinja2.Markup(data)
        if hasattr(jinja2, "Markup") else _markup(data))
    path.write_text(html, encoding="utf-8")
    return path


def folder_version(study) -> str:
    """'folder declares SDTMIG 3.2 (TS SDTIGVER)', or says that it declares none."""
    version, source = study.ig_version if study is not None else ("", "")
    return f"folder declares SDTMIG {version} ({source})" if version else "folder declares no SDTMIG version"


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)
