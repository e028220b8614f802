//! `vital report`: one self-contained HTML file. Inline CSS, charts as
//! inline SVG drawn here, every chart's numbers also as a table, a little
//! inline script for sorting and filtering tables (everything is readable
//! without it), nothing fetched. The page is written with maud templates
//! (compiled into the binary), which escape every text spliced into them;
//! `PreEscaped` is used only for the inline CSS and script and for the
//! account index (JSON with `<`, `>` and `&` escaped).

use crate::text::value_share;
use crate::{money, number, round, share, summarize, thousands, Account, Frame, Rollup, Summary};
use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// What the report shows.
pub struct Report<'a> {
    pub summary: &'a Summary,
    /// The accounts of the summary (for the distribution and the at-risk
    /// list).
    pub accounts: &'a [Account],
    /// Stored results of earlier nights, when there is a store.
    pub history: Option<&'a History>,
    /// At most this many at-risk accounts are listed.
    pub top: usize,
    /// When the report was made (shown in its footer).
    pub generated: String,
    /// Playbook starts recorded in the store over the last `queue_days`
    /// days (`None` without a store).
    pub queue: Option<&'a [QueueItem]>,
    pub queue_days: u32,
    /// How well health predicted outcomes (`vital report --outcomes`,
    /// rendered by vital-calibrate), after the playbooks.
    pub calibration: Option<Markup>,
    /// The reader's data-quality warnings (a percent given as a fraction,
    /// a signal missing everywhere, …): shown under the title, as `vital
    /// run` prints them, so a report over a broken export says so.
    pub warnings: &'a [String],
}

/// A recorded playbook start.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub as_of: NaiveDate,
    pub account: String,
    pub playbook: String,
    pub owner: Option<String>,
    pub health: Option<Decimal>,
    pub status: Option<String>,
    /// The trigger's name, or its place.
    pub rule: Option<String>,
    /// What its condition read (`saw …`).
    pub reads: Vec<String>,
    pub delivered: bool,
}

/// At most this many starts are listed.
const QUEUE_ROWS: usize = 500;

/// Stored results by night: each night's total and groups.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub nights: Vec<Night>,
    /// Each night's health and status per account.
    pub results: BTreeMap<NaiveDate, HashMap<String, Was>>,
}

/// An account's stored result.
#[derive(Debug, Clone, PartialEq)]
pub struct Was {
    pub health: Option<Decimal>,
    /// Index of the status arm.
    pub status: Option<usize>,
    /// Per score of [`Frame::scores`].
    pub scores: Vec<Option<Decimal>>,
}

#[derive(Debug, Clone)]
pub struct Night {
    pub as_of: NaiveDate,
    pub total: Rollup,
    pub groups: Vec<Rollup>,
}

impl History {
    /// Roll stored results up night by night.
    pub fn new(frame: &Frame, stored: &[Account]) -> History {
        let mut by_night: BTreeMap<NaiveDate, Vec<Account>> = BTreeMap::new();
        let mut results: BTreeMap<NaiveDate, HashMap<String, _>> = BTreeMap::new();
        for a in stored {
            if let Some(d) = a.as_of {
                by_night.entry(d).or_default().push(a.clone());
                results.entry(d).or_default().insert(
                    a.account.clone(),
                    Was {
                        health: a.health,
                        status: a.status,
                        scores: a.scores.clone(),
                    },
                );
            }
        }
        History {
            results,
            nights: by_night
                .into_iter()
                .map(|(as_of, accounts)| {
                    let (total, groups) = summarize(frame, &accounts);
                    Night {
                        as_of,
                        total,
                        groups,
                    }
                })
                .collect(),
        }
    }

    /// The latest night before `as_of`: what "since the previous run"
    /// compares with.
    pub fn previous(&self, as_of: Option<NaiveDate>) -> Option<&Night> {
        let as_of = as_of?;
        self.nights.iter().rev().find(|n| n.as_of < as_of)
    }
}

/// Okabe–Ito colours, best status first; colour-blind safe.
const PALETTE: [&str; 7] = [
    "#009E73", "#56B4E9", "#0072B2", "#F0E442", "#E69F00", "#CC79A7", "#D55E00",
];
const NO_STATUS: &str = "#999999";

/// The colour of each status arm: the first green, the last vermillion.
pub fn colours(n: usize) -> Vec<&'static str> {
    match n {
        0 => vec![],
        1 => vec![PALETTE[0]],
        2 => vec![PALETTE[0], PALETTE[6]],
        3 => vec![PALETTE[0], PALETTE[4], PALETTE[6]],
        4 => vec![PALETTE[0], PALETTE[1], PALETTE[4], PALETTE[6]],
        _ => (0..n)
            .map(|i| PALETTE[(i * (PALETTE.len() - 1)) / (n - 1)])
            .collect(),
    }
}

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6372;--line:#d9dde4;--bg:#fff;--card:#f5f7fa}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:24px;max-width:1180px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:var(--card);border-radius:8px;padding:12px 14px}
.card .k{color:var(--muted);font-size:13px}.card .v{font-size:21px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .d{font-size:13px;color:var(--muted)}
.up{color:#007a5a}.down{color:#b34000}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;vertical-align:top}
th:first-child,td:first-child,td.t,th.t{text-align:left}
td.st{white-space:nowrap}
th{background:var(--card);position:sticky;top:0}
th[data-sort]{cursor:pointer}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.legend span{margin-right:14px;white-space:nowrap}
svg{max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#5b6372}
details{margin:8px 0}summary{cursor:pointer;color:var(--muted)}
input[type=search]{padding:6px 8px;border:1px solid var(--line);border-radius:6px;width:min(320px,100%);margin:4px 0 8px}
.reasons{margin:0;padding-left:18px;text-align:left}
.scroll{overflow-x:auto}
.warn{color:#b34000}
tr.silent td{background:#fff4e0}
h3{font-size:15px;margin:16px 0 6px}
details.acct{border-bottom:1px solid var(--line);padding:4px 0}
pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--card);padding:8px;overflow-x:auto}
footer{margin-top:32px;color:var(--muted);font-size:12px}
ul.reasons li{margin:0 0 2px}
td.why{min-width:280px}
[hidden]{display:none!important}
@media (max-width:640px){body{padding:12px;font-size:14px}h1{font-size:20px}.card .v{font-size:20px}.cards{grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}
table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}table.stack tr{border-bottom:1px solid var(--line);padding:6px 0}table.stack td{border:0;padding:1px 0;text-align:left;display:inline-block;margin-right:14px}table.stack td:first-child{font-weight:600;display:block}table.stack td:has(ul){display:block;margin-right:0}table.stack td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}table.stack td:empty{display:none}td.why{min-width:0}.reasons{padding-left:16px}}
@media print{@page{size:A4;margin:12mm}#why:not(:has(details[open])){display:none}details.acct[open]{break-before:page}#statuses,#playbooks{break-inside:avoid}body{padding:0;max-width:none;font-size:11px}#find,noscript,input,details.numbers,details.acct:not([open]){display:none}.scroll{overflow:visible}table{font-size:9px}th,td{padding:2px 4px}td.why{min-width:0}th{position:static}thead{display:table-header-group}tr,li,.card,svg,.legend,pre{break-inside:avoid}h2,h3,.sub{break-after:avoid}.cards{grid-template-columns:repeat(3,1fr)}pre{white-space:pre-wrap;font-size:9px}a{color:inherit;text-decoration:none}}
"#;

const SCRIPT: &str = r#"
document.querySelectorAll('table[data-sortable]').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.setAttribute('data-sort','');th.title='sort';
    th.addEventListener('click',function(){
      var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-dir')!=='asc';
      t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir')});
      th.setAttribute('data-dir',asc?'asc':'desc');
      var key=function(r){var c=r.cells[i],v=c.getAttribute('data-v');if(v===null)v=c.textContent;var n=parseFloat(v);return isNaN(n)?v.toLowerCase():n};
      rows.sort(function(x,y){var a=key(x),c=key(y);return (a<c?-1:a>c?1:0)*(asc?1:-1)});
      rows.forEach(function(r){b.appendChild(r)});
    });
  });
});
(function(){
  var box=document.getElementById('find'),el=document.getElementById('accounts-index');
  if(!box||!el)return;
  box.hidden=false;
  var q=document.getElementById('find-q'),body=document.querySelector('#find-results tbody'),count=document.getElementById('find-count'),out=document.getElementById('find-out'),ix=null,low=null,sections={};
  document.querySelectorAll('details.acct[data-account]').forEach(function(d){sections[d.getAttribute('data-account')]=d.id});
  function load(){if(ix)return;ix=JSON.parse(el.textContent);low=ix.id.map(function(s){return s.toLowerCase()});ix.low=ix.groups.map(function(g){return g.values.map(function(v){return v.toLowerCase()})})}
  function cell(tr,text,cls,label){var td=document.createElement('td');td.textContent=text;if(cls)td.className=cls;if(label)td.setAttribute('data-label',label);tr.appendChild(td);return td}
  function show(){
    var t=q.value.trim().toLowerCase();
    while(body.firstChild)body.removeChild(body.firstChild);
    out.hidden=!t;
    if(!t){count.textContent='';return}
    load();
    var gm=ix.low.map(function(vals){var m={};vals.forEach(function(v,i){if(v.indexOf(t)>=0)m[i]=1});return m});
    var n=0,shown=0;
    for(var i=0;i<low.length;i++){
      var hit=low[i].indexOf(t)>=0;
      for(var g=0;!hit&&g<gm.length;g++){hit=gm[g][ix.groups[g].of[i]]===1}
      if(!hit)continue;
      n++;
      if(shown>=FIND_ROWS)continue;
      shown++;
      var tr=document.createElement('tr'),id=ix.id[i],st=ix.status[i];
      cell(tr,id);
      var td=cell(tr,st>=0?ix.statuses[st]:'\u2013','t st','status');
      if(st>=0){var sw=document.createElement('i');sw.className='sw';sw.style.background=ix.colours[st];td.insertBefore(sw,td.firstChild)}
      cell(tr,ix.health[i]===null?'n/a':String(ix.health[i]),'','health');
      if(ix.values)cell(tr,ix.values[i]===null?'\u2013':ix.values[i].toLocaleString('en-US'),'',ix.value);
      ix.groups.forEach(function(g,k){var v=g.of[i];cell(tr,v>=0?g.values[v]:'(none)','t',ix.by[k])});
      var sc=cell(tr,'','t');
      if(sections[id]){var a=document.createElement('a');a.setAttribute('href','#'+sections[id]);a.textContent='why';sc.appendChild(a)}
      body.appendChild(tr);
    }
    count.textContent=n===0?'No account matches.':n>shown?n.toLocaleString('en-US')+' accounts match; the '+shown+' least healthy are shown.':n.toLocaleString('en-US')+(n===1?' account matches.':' accounts match.');
  }
  q.addEventListener('input',show);
})();
function openHash(){var d=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(d&&d.tagName==='DETAILS')d.open=true}
window.addEventListener('hashchange',openHash);openHash();
document.querySelectorAll('input[data-filter]').forEach(function(inp){
  var t=document.getElementById(inp.getAttribute('data-filter'));
  inp.hidden=false;
  inp.addEventListener('input',function(){
    var q=inp.value.toLowerCase();
    Array.prototype.forEach.call(t.tBodies[0].rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''});
  });
});
"#;

fn health_text(d: Option<Decimal>) -> String {
    d.map(number).unwrap_or_else(|| "n/a".into())
}

/// An account's health or score with one decimal, as results give it
/// (`62.0`, not `62`; docs/language.md §8). Means and medians keep
/// `health_text`'s two.
fn result_text(d: Option<Decimal>) -> String {
    d.map(|d| {
        let mut r = round(d, 1);
        r.rescale(1);
        r.to_string()
    })
    .unwrap_or_else(|| "n/a".into())
}

/// A share with one decimal, as `vital summary` and docs/report.md show it
/// (`34.0%`, not `34%`).
fn pct(d: Option<Decimal>) -> String {
    d.map(|mut d| {
        d.rescale(1);
        format!("{d}%")
    })
    .unwrap_or_else(|| "–".into())
}

/// A coordinate with one decimal.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// A status colour's swatch.
fn swatch(c: &str) -> Markup {
    html! { i class="sw" style={ "background:" (c) } {} }
}

/// A signed change, with its direction as a class (`good`: whether up is
/// good).
fn delta(d: Decimal, unit: &str, good_up: bool) -> Markup {
    let d = round(d, 2);
    if d.is_zero() {
        return html! { "±0" (unit) };
    }
    let up = d.is_sign_positive();
    let class = if up == good_up { "up" } else { "down" };
    let sign = if up { "+" } else { "−" };
    html! { span class=(class) { (sign) (number(d.abs())) (unit) } }
}

/// A change of an amount of money, in whole units as the amounts beside
/// it are shown (`money`): `+1,235`, not `+1,234.56`.
fn money_delta(d: Decimal, good_up: bool) -> Markup {
    delta(round(d, 0), "", good_up)
}

/// The whole report.
pub fn render(r: &Report<'_>) -> String {
    let s = r.summary;
    let f = &s.frame;
    let col = colours(f.statuses.len());
    let title = f.title.clone().unwrap_or_else(|| "Customer health".into());
    let previous = r.history.and_then(|h| h.previous(s.as_of));
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " — health report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                "\n"
                h1 { (title) } "\n"
                p class="sub" {
                    "Health as of "
                    b id="as-of" {
                        @match s.as_of {
                            Some(d) => (d.format("%Y-%m-%d")),
                            None => "–",
                        }
                    }
                    " · "
                    @if s.source == "store" {
                        "from the history store"
                    } @else {
                        "scored now: " (thousands(s.records)) " records read, "
                        (thousands(s.rejected)) " rejected"
                    }
                    " · "
                    @match f.value.as_deref() {
                        Some(v) => { "value: " code { (v) } },
                        None => "no value signal",
                    }
                }
                "\n"
                @if !r.warnings.is_empty() {
                    div class="warn" id="data-warnings" {
                        b { "The input needs a look — these numbers may be wrong:" }
                        ul {
                            @for w in r.warnings {
                                li { (w.strip_prefix("warning: ").unwrap_or(w)) }
                            }
                        }
                    }
                    "\n"
                }
                (headline(s, previous))
                (find(f, r.accounts.len()))
                (status_table(s, &col))
                (histogram(f, r.accounts, &col))
                @if let Some(h) = r.history {
                    (over_time(f, h, &col))
                }
                @if !f.by.is_empty() {
                    (groups(s, r.history))
                }
                (movers(s, r.accounts, &col))
                (at_risk(s, r.accounts, r.top, &col, r.history))
                (playbooks(s))
                @if let Some(q) = r.queue {
                    (queue(q, r.queue_days))
                }
                @if let Some(c) = &r.calibration {
                    div class="scroll" { (c) }
                }
                (coverage(s, r.accounts))
                footer {
                    "Made by " code { "vital report" } " at " (r.generated)
                    ". One file: nothing is fetched when it opens."
                }
                "\n"
                (index(f, r.accounts, &col))
                script { (PreEscaped(SCRIPT.replace("FIND_ROWS", &FIND_ROWS.to_string()))) }
                "\n"
            }
        }
        "\n"
    };
    page.into_string()
}

fn card(id: &str, key: &str, value: &str, note: Option<Markup>) -> Markup {
    html! {
        div class="card" {
            div class="k" { (key) }
            div class="v" id=(id) { (value) }
            @if let Some(n) = note {
                div class="d" { (n) }
            }
        }
        "\n"
    }
}

fn headline(s: &Summary, previous: Option<&Night>) -> Markup {
    let f = &s.frame;
    let t = &s.total;
    let since = |d: Markup| previous.map(|p| html! { (d) " since " (p.as_of.format("%Y-%m-%d")) });
    let healthy = f
        .healthy
        .iter()
        .filter_map(|i| f.statuses.get(*i))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let risky = f
        .at_risk
        .iter()
        .filter_map(|i| f.statuses.get(*i))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        section class="cards" aria-label="headline" {
            "\n"
            (card(
                "h-accounts",
                "accounts",
                &thousands(t.total.accounts),
                previous.and_then(|p| {
                    since(delta(
                        Decimal::from(t.total.accounts) - Decimal::from(p.total.total.accounts),
                        "",
                        true,
                    ))
                }),
            ))
            @if let Some(v) = &f.value {
                (card(
                    "h-value",
                    &format!("total {v}"),
                    &money(t.total.value),
                    previous.and_then(|p| since(money_delta(t.total.value - p.total.total.value, true))),
                ))
            }
            (card(
                "h-healthy",
                &format!("share healthy ({healthy})"),
                &pct(t.healthy_share()),
                previous.and_then(|p| match (t.healthy_share(), p.total.healthy_share()) {
                    (Some(a), Some(b)) => since(delta(a - b, " pts", true)),
                    _ => None,
                }),
            ))
            @if f.value.is_some() {
                (card(
                    "h-value-at-risk",
                    &format!("value at risk ({risky})"),
                    &money(t.at_risk.value),
                    previous
                        .and_then(|p| since(money_delta(t.at_risk.value - p.total.at_risk.value, false)))
                        .or_else(|| {
                            value_share(t.at_risk.value, t.total.value)
                                .map(|p| html! { (pct(Some(p))) " of the value" })
                        }),
                ))
            }
            (card(
                "h-at-risk",
                &format!("accounts at risk ({risky})"),
                &thousands(t.at_risk.accounts),
                previous.and_then(|p| {
                    since(delta(
                        Decimal::from(t.at_risk.accounts) - Decimal::from(p.total.at_risk.accounts),
                        "",
                        false,
                    ))
                }),
            ))
            (card(
                "h-mean",
                "mean health",
                &health_text(t.mean_health),
                match (t.mean_health, previous.and_then(|p| p.total.mean_health)) {
                    (Some(a), Some(b)) => since(delta(a - b, "", true)),
                    _ => Some(html! { "median " (health_text(t.median_health)) }),
                },
            ))
        }
        "\n"
        @if previous.is_none() {
            p class="sub" { "No earlier run in a history store to compare with." }
            "\n"
        }
        @if let Some(p) = previous.filter(|p| other_population(t.total.accounts, p.total.total.accounts)) {
            p class="sub" id="h-population" {
                "The changes compare with " (p.as_of.format("%Y-%m-%d")) ", which stored "
                (thousands(p.total.total.accounts)) " account" @if p.total.total.accounts != 1 { "s" }
                " (" (thousands(t.total.accounts)) " now): they say as much about which accounts were stored as about their health."
            }
            "\n"
        }
    }
}

/// Whether the night compared with held a population too different from
/// this one's (a tenth more or fewer accounts) for its changes to mean
/// what they seem to: a first run over a few accounts, a partial export.
fn other_population(now: usize, then: usize) -> bool {
    let (a, b) = (now.max(then), now.min(then));
    a > 0 && (a - b) * 10 > a
}

fn legend(f: &Frame, col: &[&str]) -> Markup {
    html! {
        p class="legend" {
            @for (name, c) in f.statuses.iter().zip(col) {
                span { (swatch(c)) (name) }
            }
        }
        "\n"
    }
}

fn status_table(s: &Summary, col: &[&str]) -> Markup {
    let f = &s.frame;
    let t = &s.total;
    let mut rows: Vec<(String, &str, crate::Tally)> = f
        .statuses
        .iter()
        .zip(col)
        .zip(&t.statuses)
        .map(|((n, c), t)| (n.clone(), *c, *t))
        .collect();
    if t.no_status.accounts > 0 {
        rows.push(("(no status)".into(), NO_STATUS, t.no_status));
    }
    html! {
        h2 { "Accounts by status" } "\n"
        (legend(f, col))
        div class="scroll" {
            table id="statuses" {
                thead {
                    tr {
                        th { "status" } th { "accounts" } th { "share" }
                        @if let Some(v) = &f.value {
                            th { (v) } th { "share of " (v) }
                        }
                    }
                }
                tbody {
                    "\n"
                    @for (name, c, tally) in &rows {
                        tr {
                            td class="st" { (swatch(c)) (name) }
                            td { (thousands(tally.accounts)) }
                            td { (pct(share(tally.accounts, t.total.accounts))) }
                            @if f.value.is_some() {
                                td { (money(tally.value)) }
                                td { (pct(value_share(tally.value, t.total.value))) }
                            }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
    }
}

/// A bar of a stacked chart: where it is, its colour and its tooltip.
struct Bar {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    colour: &'static str,
    title: String,
}

fn bars(bars: &[Bar]) -> Markup {
    html! {
        @for b in bars {
            rect x=(f1(b.x)) y=(f1(b.y)) width=(f1(b.width)) height=(f1(b.height)) fill=(b.colour) {
                title { (b.title) }
            }
        }
    }
}

/// A table's "the numbers" fold.
fn numbers(summary: &str, table: Markup) -> Markup {
    html! {
        details class="numbers" {
            summary { (summary) }
            div class="scroll" { (table) }
        }
        "\n"
    }
}

/// Health in 20 bins of 5 points (100 in the last), stacked by status.
fn histogram(f: &Frame, accounts: &[Account], col: &[&'static str]) -> Markup {
    let n_st = f.statuses.len();
    let mut bins = vec![vec![0usize; n_st + 1]; 20];
    let mut unscored = 0usize;
    for a in accounts {
        let Some(h) = a.health else {
            unscored += 1;
            continue;
        };
        let b = (h / Decimal::from(5))
            .floor()
            .to_usize()
            .unwrap_or(0)
            .min(19);
        let slot = a.status.filter(|s| *s < n_st).unwrap_or(n_st);
        bins[b][slot] += 1;
    }
    let max = bins
        .iter()
        .map(|b| b.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, left, bottom) = (720.0f64, 240.0f64, 44.0f64, 28.0f64);
    let bw = (w - left - 8.0) / 20.0;
    let plot_h = h - bottom - 10.0;
    let mut rects: Vec<Vec<Bar>> = Vec::new();
    for (i, bin) in bins.iter().enumerate() {
        let x = left + bw * i as f64;
        let mut stack = Vec::new();
        let mut y = 10.0 + plot_h;
        for (slot, count) in bin.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let bh = plot_h * *count as f64 / max as f64;
            y -= bh;
            let name = f.statuses.get(slot).map_or("no status", |s| s.as_str());
            stack.push(Bar {
                x: x + 1.0,
                y,
                width: bw - 2.0,
                height: bh,
                colour: col.get(slot).copied().unwrap_or(NO_STATUS),
                title: format!("{}–{}: {} {}", i * 5, i * 5 + 5, thousands(*count), name),
            });
        }
        rects.push(stack);
    }
    html! {
        h2 { "Health distribution" } "\n"
        svg id="histogram" viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label="health distribution" {
            // axis
            @for k in 0..=4 {
                @let v = max as f64 * k as f64 / 4.0;
                @let y = 10.0 + plot_h - plot_h * k as f64 / 4.0;
                line x1=(left) x2=(w - 8.0) y1=(f1(y)) y2=(f1(y)) stroke="#e4e7ec" {}
                text x=(left - 4.0) y=(f1(y + 4.0)) text-anchor="end" { (thousands(v.round() as usize)) }
            }
            @for (i, stack) in rects.iter().enumerate() {
                (bars(stack))
                @if i % 2 == 0 {
                    text x=(f1(left + bw * i as f64)) y=(f1(h - 10.0)) text-anchor="middle" { (i * 5) }
                }
            }
            text x=(f1(left + bw * 20.0)) y=(f1(h - 10.0)) text-anchor="end" { "100" }
        }
        "\n"
        @if unscored > 0 {
            p class="sub" { (thousands(unscored)) " account(s) without a health are not shown." }
            "\n"
        }
        (numbers("the numbers", html! {
            table id="histogram-table" {
                thead {
                    tr {
                        th { "health" }
                        @for s in &f.statuses { th { (s) } }
                        th { "no status" } th { "accounts" }
                    }
                }
                tbody {
                    "\n"
                    @for (i, bin) in bins.iter().enumerate() {
                        tr {
                            td { (i * 5) "–" (if i == 19 { 100 } else { i * 5 + 5 }) }
                            @for c in bin { td { (thousands(*c)) } }
                            td { (thousands(bin.iter().sum())) }
                        }
                        "\n"
                    }
                }
            }
        }))
    }
}

/// Accounts per status per stored night, stacked to 100%.
fn over_time(f: &Frame, h: &History, col: &[&'static str]) -> Markup {
    if h.nights.is_empty() {
        return html! {};
    }
    let (w, ht, left, bottom) = (720.0f64, 220.0f64, 44.0f64, 28.0f64);
    let n = h.nights.len();
    let bw = ((w - left - 8.0) / n as f64).min(60.0);
    let plot_h = ht - bottom - 10.0;
    let every = n.div_ceil(8).max(1);
    let mut rects: Vec<Vec<Bar>> = Vec::new();
    for (i, night) in h.nights.iter().enumerate() {
        let mut stack = Vec::new();
        let total = night.total.total.accounts.max(1) as f64;
        let x = left + bw * i as f64;
        let mut y = 10.0 + plot_h;
        let slots = night
            .total
            .statuses
            .iter()
            .map(|t| t.accounts)
            .chain(std::iter::once(night.total.no_status.accounts));
        for (slot, count) in slots.enumerate() {
            if count == 0 {
                continue;
            }
            let bh = plot_h * count as f64 / total;
            y -= bh;
            let name = f.statuses.get(slot).map_or("no status", |s| s.as_str());
            stack.push(Bar {
                x: x + 1.0,
                y,
                width: bw - 2.0,
                height: bh,
                colour: col.get(slot).copied().unwrap_or(NO_STATUS),
                title: format!(
                    "{}: {} {}",
                    night.as_of.format("%Y-%m-%d"),
                    thousands(count),
                    name
                ),
            });
        }
        rects.push(stack);
    }
    html! {
        h2 { "Status over time" } "\n"
        svg id="over-time" viewBox={ "0 0 " (w) " " (ht) } width=(w) height=(ht) role="img" aria-label="status over time" {
            @for k in 0..=4 {
                @let y = 10.0 + plot_h - plot_h * k as f64 / 4.0;
                line x1=(left) x2=(w - 8.0) y1=(f1(y)) y2=(f1(y)) stroke="#e4e7ec" {}
                text x=(left - 4.0) y=(f1(y + 4.0)) text-anchor="end" { (k * 25) "%" }
            }
            @for (i, (night, stack)) in h.nights.iter().zip(&rects).enumerate() {
                (bars(stack))
                @if i % every == 0 {
                    text x=(f1(left + bw * i as f64 + bw / 2.0)) y=(f1(ht - 10.0)) text-anchor="middle" { (night.as_of.format("%m-%d")) }
                }
            }
        }
        "\n"
        (numbers("the numbers", html! {
            table id="over-time-table" {
                thead {
                    tr {
                        th { "night" }
                        @for s in &f.statuses { th { (s) } }
                        th { "accounts" } th { "mean health" }
                    }
                }
                tbody {
                    "\n"
                    @for night in &h.nights {
                        tr {
                            td { (night.as_of.format("%Y-%m-%d")) }
                            @for t in &night.total.statuses { td { (thousands(t.accounts)) } }
                            td { (thousands(night.total.total.accounts)) }
                            td { (health_text(night.total.mean_health)) }
                        }
                        "\n"
                    }
                }
            }
        }))
    }
}

/// A small line of a group's mean health per night, on a scale of at
/// least 10 points around its own range (the exact numbers are in the
/// cell's title).
fn sparkline(points: &[Option<Decimal>]) -> Markup {
    let (w, h) = (96.0f64, 22.0f64);
    let n = points.len();
    let values: Vec<f64> = points.iter().flatten().filter_map(|v| v.to_f64()).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mid = (lo + hi) / 2.0;
    let half = ((hi - lo) / 2.0 + 1.0).max(5.0);
    let (lo, hi) = (mid - half, mid + half);
    let mut path = String::new();
    let mut last = None;
    for (i, p) in points.iter().enumerate() {
        let Some(v) = p.and_then(|v| v.to_f64()) else {
            continue;
        };
        let x = if n > 1 {
            2.0 + (w - 4.0) * i as f64 / (n - 1) as f64
        } else {
            w / 2.0
        };
        let y = 2.0 + (h - 4.0) * (1.0 - (v - lo) / (hi - lo));
        if !path.is_empty() {
            path.push(' ');
        }
        path.push_str(&format!("{x:.1},{y:.1}"));
        last = Some((x, y));
    }
    html! {
        svg class="spark" viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) aria-hidden="true" {
            polyline points=(path) fill="none" stroke="#0072B2" stroke-width="1.5" {}
            @if let Some((x, y)) = last {
                circle cx=(f1(x)) cy=(f1(y)) r="2" fill="#0072B2" {}
            }
        }
    }
}

/// A group's values, one cell each.
fn group_cells(group: &[Option<String>]) -> Markup {
    html! {
        @for v in group {
            td class="t" { (v.as_deref().unwrap_or("(none)")) }
        }
    }
}

fn groups(s: &Summary, history: Option<&History>) -> Markup {
    let f = &s.frame;
    let by_night = |g: &Rollup| -> Vec<Option<Decimal>> {
        history
            .map(|h| {
                h.nights
                    .iter()
                    .map(|n| {
                        n.groups
                            .iter()
                            .find(|x| x.group == g.group)
                            .and_then(|x| x.mean_health)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let shown = |p: &Option<Decimal>| p.map(number).unwrap_or_else(|| "–".into());
    html! {
        h2 { "By " (f.by.join(", ")) } "\n"
        input type="search" placeholder="filter groups" data-filter="groups" aria-label="filter groups" hidden;
        "\n"
        div class="scroll" {
            table id="groups" data-sortable {
                thead {
                    tr {
                        @for b in &f.by { th class="t" { (b) } }
                        th { "accounts" }
                        @if let Some(v) = &f.value { th { (v) } }
                        th { "mean health" } th { "median" }
                        @if f.value.is_some() { th { "weighted" } }
                        th { "healthy" } th { "at risk" }
                        @if f.value.is_some() { th { "value at risk" } }
                        @if history.is_some() { th class="t" { "mean health by night" } }
                    }
                }
                tbody {
                    "\n"
                    @for g in &s.groups {
                        tr {
                            (group_cells(&g.group))
                            td { (thousands(g.total.accounts)) }
                            @if f.value.is_some() {
                                td data-v=(g.total.value) { (money(g.total.value)) }
                            }
                            td { (health_text(g.mean_health)) }
                            td { (health_text(g.median_health)) }
                            @if f.value.is_some() {
                                td { (health_text(g.weighted_health)) }
                            }
                            td data-v=(g.healthy_share().unwrap_or_default()) { (pct(g.healthy_share())) }
                            td data-v=(g.at_risk_share().unwrap_or_default()) { (pct(g.at_risk_share())) }
                            @if f.value.is_some() {
                                td data-v=(g.at_risk.value) { (money(g.at_risk.value)) }
                            }
                            @if history.is_some() {
                                @let points = by_night(g);
                                td class="t" title=(points.iter().map(shown).collect::<Vec<_>>().join(" → ")) {
                                    (sparkline(&points))
                                }
                            }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
        @if let Some(h) = history {
            // the sparklines' numbers
            (numbers("the numbers: mean health by night", html! {
                table id="groups-by-night" {
                    thead {
                        tr {
                            @for b in &f.by { th class="t" { (b) } }
                            @for n in &h.nights { th { (n.as_of.format("%Y-%m-%d")) } }
                        }
                    }
                    tbody {
                        "\n"
                        @for g in &s.groups {
                            tr {
                                (group_cells(&g.group))
                                @for mean in &by_night(g) { td { (shown(mean)) } }
                            }
                            "\n"
                        }
                    }
                }
            }))
        }
    }
}

fn at_risk(
    s: &Summary,
    accounts: &[Account],
    top: usize,
    col: &[&str],
    history: Option<&History>,
) -> Markup {
    let f = &s.frame;
    let mut risky: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.status.is_some_and(|st| f.at_risk.contains(&st)))
        .collect();
    // the most valuable first, then the least healthy
    risky.sort_by(|a, b| {
        b.value
            .unwrap_or_default()
            .cmp(&a.value.unwrap_or_default())
            .then(a.health.cmp(&b.health))
            .then(a.account.cmp(&b.account))
    });
    let total = risky.len();
    risky.truncate(top);
    html! {
        h2 { "Accounts at risk" } "\n"
        p class="sub" {
            (thousands(total)) " account" (if total == 1 { "" } else { "s" }) " at risk"
            @if total > risky.len() {
                ", the " (thousands(risky.len())) " "
                (if f.value.is_some() { "most valuable" } else { "least healthy" }) " shown"
            }
            "; the reasons are the adjustments that cost each the most."
        }
        "\n"
        @if !risky.is_empty() {
            input type="search" placeholder="filter the accounts at risk" data-filter="at-risk" aria-label="filter the accounts at risk" hidden;
            "\n"
            div class="scroll" {
                table class="stack" id="at-risk" data-sortable {
                    thead {
                        tr {
                            th { "account" } th class="t" { "status" } th { "health" }
                            @if let Some(v) = &f.value { th { (v) } }
                            @for b in &f.by { th class="t" { (b) } }
                            th class="t" { "top reasons" }
                            th class="t" { "playbooks" }
                            th class="t" { "explain" }
                        }
                    }
                    tbody {
                        "\n"
                        @for (k, a) in risky.iter().enumerate() {
                            @let st = a.status.unwrap_or(0);
                            tr {
                                td { (a.account) }
                                td class="t st" data-label="status" {
                                    (swatch(col.get(st).copied().unwrap_or(NO_STATUS)))
                                    (f.statuses.get(st).map_or("", |s| s.as_str()))
                                }
                                td data-label="health" { (result_text(a.health)) }
                                @if let Some(name) = &f.value {
                                    td data-v=(a.value.unwrap_or_default()) data-label=(name) {
                                        (a.value.map(money).unwrap_or_else(|| "–".into()))
                                    }
                                }
                                @for (v, name) in a.group.iter().zip(&f.by) {
                                    td class="t" data-label=(name) { (v.as_deref().unwrap_or("(none)")) }
                                }
                                td class="t" data-label="top reasons" {
                                    @if a.reasons.is_empty() {
                                        "–"
                                    } @else {
                                        ul class="reasons" {
                                            @for r in &a.reasons {
                                                li { (r.rule) " " b { (number(r.amount)) } " " small { "(" (r.score) ")" } }
                                            }
                                        }
                                    }
                                }
                                td class="t" data-label="playbooks" {
                                    (a.triggered
                                        .iter()
                                        .filter_map(|p| f.playbooks.get(*p))
                                        .cloned()
                                        .collect::<Vec<_>>()
                                        .join(", "))
                                }
                                td class="t" data-label="explain" {
                                    @if a.explain.is_some() {
                                        a href={ "#a-" (k) } { "why" }
                                    }
                                }
                            }
                            "\n"
                        }
                    }
                }
            }
            "\n"
            (details(f, &risky, col, history))
        }
    }
}

/// One section per listed account: its health night by night (with a
/// store) and its explanation as `vital explain` writes it.
fn details(f: &Frame, risky: &[&Account], col: &[&str], history: Option<&History>) -> Markup {
    if risky.iter().all(|a| a.explain.is_none()) {
        return html! {};
    }
    html! {
        section id="why" {
            "\n"
            h2 { "Why they are at risk" } "\n"
            p class="sub" {
                "Each listed account: its health and scores night by night (with a history store) and its explanation, as "
                code { "vital explain" }
                " writes it. Open one to read it (open ones are printed)."
            }
            "\n"
            @for (k, a) in risky.iter().enumerate() {
                @if let Some(text) = &a.explain {
                    @let st = a.status.unwrap_or(0);
                    details class="acct" id={ "a-" (k) } data-account=(a.account) {
                        summary {
                            b { (a.account) } " · "
                            (swatch(col.get(st).copied().unwrap_or(NO_STATUS)))
                            (f.statuses.get(st).map_or("", |s| s.as_str()))
                            " · health " (result_text(a.health))
                            @if let (Some(v), Some(x)) = (&f.value, a.value) {
                                " · " (v) " " (money(x))
                            }
                        }
                        @if let Some(h) = history {
                            (night_by_night(f, a, h))
                        }
                        pre { (text) }
                    }
                    "\n"
                }
            }
        }
        "\n"
    }
}

/// An account's stored nights and tonight, when there are several: its
/// health as a line of text, then [`trend`].
fn night_by_night(f: &Frame, a: &Account, h: &History) -> Markup {
    let mut points: Vec<(NaiveDate, Was)> = h
        .results
        .iter()
        .filter_map(|(d, m)| Some((*d, m.get(&a.account)?.clone())))
        .filter(|(d, _)| a.as_of.is_none_or(|now| *d < now))
        .collect();
    if let Some(now) = a.as_of {
        points.push((
            now,
            Was {
                health: a.health,
                status: a.status,
                scores: a.scores.clone(),
            },
        ));
    }
    if points.len() <= 1 {
        return html! {};
    }
    let shown: Vec<String> = points
        .iter()
        .map(|(d, w)| format!("{} {}", d.format("%Y-%m-%d"), result_text(w.health)))
        .collect();
    html! {
        p class="trend" { small { "health " (shown.join(" → ")) } }
        (trend(f, &points))
    }
}

/// An account's health (thick) and scores night by night, on 0–100, and
/// the numbers as a table.
fn trend(f: &Frame, points: &[(NaiveDate, Was)]) -> Markup {
    let (w, h, left, bottom) = (420.0f64, 130.0f64, 30.0f64, 20.0f64);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - 8.0;
    let n = points.len();
    let x = |i: usize| left + plot_w * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: f64| 8.0 + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let line = |values: Vec<Option<f64>>, colour: &str, width: f64, name: &str| -> Markup {
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if pts.is_empty() {
            return html! {};
        }
        html! {
            polyline points=(pts.join(" ")) fill="none" stroke=(colour) stroke-width=(width) {
                title { (name) }
            }
        }
    };
    let score_colour = |k: usize| SCORE_COLOURS[k % SCORE_COLOURS.len()];
    html! {
        svg class="trend" viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label="health and scores by night" {
            @for k in 0..=2 {
                @let v = 50.0 * k as f64;
                line x1=(left) x2=(w - 10.0) y1=(f1(y(v))) y2=(f1(y(v))) stroke="#e4e7ec" {}
                text x=(left - 4.0) y=(f1(y(v) + 4.0)) text-anchor="end" { (v) }
            }
            @for (i, (d, _)) in points.iter().enumerate() {
                @if n <= 8 || i % n.div_ceil(8) == 0 {
                    text x=(f1(x(i))) y=(f1(h - 5.0)) text-anchor=(if i == 0 {
                        "start"
                    } else if i + 1 == n {
                        "end"
                    } else {
                        "middle"
                    }) { (d.format("%m-%d")) }
                }
            }
            @for (k, name) in f.scores.iter().enumerate() {
                (line(
                    points
                        .iter()
                        .map(|(_, w)| w.scores.get(k).copied().flatten().and_then(|v| v.to_f64()))
                        .collect(),
                    score_colour(k),
                    1.2,
                    name,
                ))
            }
            (line(
                points.iter().map(|(_, w)| w.health.and_then(|v| v.to_f64())).collect(),
                "#1d2330",
                2.5,
                "health",
            ))
        }
        p class="legend" {
            span { (swatch("#1d2330")) "health" }
            @for (k, name) in f.scores.iter().enumerate() {
                span { (swatch(score_colour(k))) (name) }
            }
        }
        div class="scroll" {
            table class="trend" {
                thead {
                    tr {
                        th { "night" } th { "health" } th class="t" { "status" }
                        @for name in &f.scores { th { (name) } }
                    }
                }
                tbody {
                    @for (d, w) in points {
                        tr {
                            td { (d.format("%Y-%m-%d")) }
                            td { (result_text(w.health)) }
                            td class="t" {
                                (w.status.and_then(|s| f.statuses.get(s)).map_or("–", |s| s.as_str()))
                            }
                            @for k in 0..f.scores.len() {
                                td { (result_text(w.scores.get(k).copied().flatten())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Score lines: the Okabe–Ito colours not used for health.
const SCORE_COLOURS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

fn playbooks(s: &Summary) -> Markup {
    let f = &s.frame;
    if f.playbooks.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Playbooks" } "\n"
        div class="scroll" {
            table id="playbooks" {
                thead { tr { th { "playbook" } th { "triggered" } th { "started" } } }
                tbody {
                    "\n"
                    @for (i, p) in f.playbooks.iter().enumerate() {
                        tr {
                            td { (p) }
                            td { (thousands(s.total.triggered.get(i).copied().unwrap_or(0))) }
                            td { (thousands(s.total.started.get(i).copied().unwrap_or(0))) }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
    }
}

/// How far an account moved since its previous snapshot.
struct Move<'a> {
    account: &'a Account,
    previous: &'a crate::Previous,
    before: Decimal,
    change: Decimal,
}

fn status_cell(f: &Frame, col: &[&str], st: Option<usize>) -> Markup {
    html! {
        @match st {
            Some(i) => {
                (swatch(col.get(i).copied().unwrap_or(NO_STATUS)))
                (f.statuses.get(i).map_or("", |s| s.as_str()))
            },
            None => "–",
        }
    }
}

/// Movers shown each way.
const MOVERS: usize = 10;

/// The ten largest health drops and rises since each account's previous
/// snapshot (recomputed with the current rules), each with the rules
/// behind its change.
fn movers(s: &Summary, accounts: &[Account], col: &[&str]) -> Markup {
    let f = &s.frame;
    let compared = accounts.iter().filter(|a| a.previous.is_some()).count();
    if compared == 0 {
        return html! {};
    }
    let mut moves: Vec<Move<'_>> = accounts
        .iter()
        .filter_map(|a| {
            let p = a.previous.as_ref()?;
            let before = p.health?;
            Some(Move {
                account: a,
                previous: p,
                before,
                change: a.health? - before,
            })
        })
        .filter(|m| !m.change.is_zero())
        .collect();
    moves.sort_by(|a, b| {
        a.change
            .cmp(&b.change)
            .then(a.account.account.cmp(&b.account.account))
    });
    let drops: Vec<&Move<'_>> = moves
        .iter()
        .take_while(|m| m.change.is_sign_negative())
        .take(MOVERS)
        .collect();
    let rises: Vec<&Move<'_>> = moves
        .iter()
        .rev()
        .take_while(|m| m.change.is_sign_positive())
        .take(MOVERS)
        .collect();
    let mut dates: Vec<NaiveDate> = accounts
        .iter()
        .filter_map(|a| Some(a.previous.as_ref()?.as_of))
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let one_date = match dates.as_slice() {
        [d] => Some(*d),
        _ => None,
    };
    html! {
        h2 id="movers" {
            @match one_date {
                Some(d) => { "Movers since " (d.format("%Y-%m-%d")) },
                None => "Movers since the previous snapshot",
            }
        }
        "\n"
        p class="sub" {
            (thousands(moves.len())) " of the " (thousands(compared)) " account"
            (if compared == 1 { "" } else { "s" })
            " with an earlier snapshot moved. Earlier snapshots are scored again with today\u{2019}s rules, so a change of rules is not a move. Under "
            i { "why" }
            ", the rules whose amounts differ between the two nights, with their part of the change in health points (what they leave, a last line gives: rounding, and scores that are n/a on one night)."
        }
        "\n"
        @for (title, id, list) in [("Drops", "drops", drops), ("Rises", "rises", rises)] {
            @if !list.is_empty() {
                h3 { (title) }
                div class="scroll" {
                    table id=(id) class="movers stack" data-sortable {
                        thead {
                            tr {
                                th { "account" } th { "change" } th { "health" }
                                th class="t" { "status" } th { "before" }
                                th class="t" { "status before" }
                                @if one_date.is_none() { th class="t" { "since" } }
                                @if let Some(v) = &f.value { th { (v) } }
                                th class="t" { "why: the rules that changed" }
                            }
                        }
                        tbody {
                            "\n"
                            @for m in list {
                                @let a = m.account;
                                tr {
                                    td { (a.account) }
                                    td data-label="change" { (delta(m.change, "", true)) }
                                    td data-label="health" { (result_text(a.health)) }
                                    td class="t st" data-label="status" { (status_cell(f, col, a.status)) }
                                    td data-label="before" { (result_text(Some(m.before))) }
                                    td class="t st" data-label="status before" { (status_cell(f, col, m.previous.status)) }
                                    @if one_date.is_none() {
                                        td class="t st" data-label="since" { (m.previous.as_of.format("%Y-%m-%d")) }
                                    }
                                    @if let Some(name) = &f.value {
                                        td data-v=(a.value.unwrap_or_default()) data-label=(name) {
                                            (a.value.map(money).unwrap_or_else(|| "–".into()))
                                        }
                                    }
                                    td class="t why" data-label="why" { (causes(m.previous, m.change)) }
                                }
                                "\n"
                            }
                        }
                    }
                }
                "\n"
            }
        }
    }
}

/// A mover's causes: each rule (or base) whose amount differs, with its
/// part of the change in health and what it read; when every part is
/// listed and they leave half a point or more of `change` unexplained, a
/// last line says what the rest is (rounding, and scores that are n/a on
/// one night, which weight health over the others).
fn causes(p: &crate::Previous, change: Decimal) -> Markup {
    use crate::CauseKind;
    if p.causes.is_empty() {
        return html! { "–" };
    }
    let amount = |d: Option<Decimal>| match d.map(|d| round(d, 2)) {
        Some(d) if d.is_sign_negative() && !d.is_zero() => format!("−{}", number(d.abs())),
        Some(d) => format!("+{}", number(d)),
        None => "–".into(),
    };
    let two = |d: Option<Decimal>| d.map(|d| number(round(d, 2))).unwrap_or_else(|| "–".into());
    html! {
        ul class="reasons" {
            @for c in &p.causes {
                li {
                    b { (delta(c.health, "", true)) }
                    " "
                    @match c.kind {
                        CauseKind::Base => {
                            "base of " (c.score) ": " (two(c.before)) " → " (two(c.now))
                        },
                        CauseKind::Clamp => {
                            (c.score) " clamped to 0–100: " (amount(c.before)) " → " (amount(c.now))
                        },
                        CauseKind::Rule => {
                            @match (c.before, c.now) {
                                (None, Some(n)) => {
                                    (c.rule) ": fired now, " (amount(Some(n))) " " (c.score)
                                },
                                (Some(b), None) => {
                                    (c.rule) ": no longer fires (was " (amount(Some(b))) " " (c.score) ")"
                                },
                                (b, n) => {
                                    (c.rule) ": " (amount(b)) " → " (amount(n)) " " (c.score)
                                },
                            }
                        },
                    }
                    @let now = !c.reads_now.is_empty();
                    @let before = !c.reads_before.is_empty() && c.reads_before != c.reads_now;
                    @if now || before {
                        " "
                        small {
                            "("
                            @if now { "now " (c.reads_now.join(", ")) }
                            @if now && before { "; " }
                            @if before { "before " (c.reads_before.join(", ")) }
                            ")"
                        }
                    }
                }
            }
            @if p.differing > p.causes.len() {
                li { small { "and " (thousands(p.differing - p.causes.len())) " more" } }
            } @else {
                @let rest = change - p.causes.iter().map(|c| c.health).sum::<Decimal>();
                @if rest.abs() >= Decimal::new(5, 1) {
                    li class="rest" {
                        b { (delta(rest, "", true)) }
                        " "
                        small { "the rest: rounding, and scores that are n/a on one night (health is weighted over the scores with a value)" }
                    }
                }
            }
        }
    }
}

/// The playbook starts of the last days, newest first.
fn queue(items: &[QueueItem], days: u32) -> Markup {
    let mut newest: Vec<&QueueItem> = items.iter().collect();
    newest.sort_by(|a, b| {
        b.as_of
            .cmp(&a.as_of)
            .then(a.account.cmp(&b.account))
            .then(a.playbook.cmp(&b.playbook))
    });
    newest.truncate(QUEUE_ROWS);
    html! {
        h2 { "Playbook queue" } "\n"
        p class="sub" {
            b id="queue-count" { (thousands(items.len())) }
            " playbook start" (if items.len() == 1 { "" } else { "s" })
            " recorded in the last " (days) " day" (if days == 1 { "" } else { "s" })
            @if items.len() > QUEUE_ROWS {
                ", the latest " (thousands(QUEUE_ROWS)) " shown"
            }
            "."
        }
        "\n"
        @if !items.is_empty() {
            input type="search" placeholder="filter starts" data-filter="queue" aria-label="filter starts" hidden;
            "\n"
            div class="scroll" {
                table id="queue" data-sortable {
                    thead {
                        tr {
                            th class="t" { "date" } th class="t" { "account" }
                            th class="t" { "playbook" } th class="t" { "owner" }
                            th { "health" } th class="t" { "status" }
                            th class="t" { "reason" } th class="t" { "delivered" }
                        }
                    }
                    tbody {
                        "\n"
                        @for q in newest {
                            tr {
                                td class="t st" { (q.as_of.format("%Y-%m-%d")) }
                                td class="t" { (q.account) }
                                td class="t" { (q.playbook) }
                                td class="t" { (q.owner.as_deref().unwrap_or("–")) }
                                td { (result_text(q.health)) }
                                td class="t" { (q.status.as_deref().unwrap_or("–")) }
                                td class="t" {
                                    @match (&q.rule, q.reads.is_empty()) {
                                        (Some(r), true) => (r),
                                        (Some(r), false) => { (r) " " small { "(" (q.reads.join("; ")) ")" } },
                                        (None, false) => (q.reads.join("; ")),
                                        (None, true) => "–",
                                    }
                                }
                                td class="t" { (if q.delivered { "yes" } else { "no" }) }
                            }
                            "\n"
                        }
                    }
                }
            }
            "\n"
        }
    }
}

/// How many accounts each rule fired for; rules that fired for none are
/// flagged.
fn coverage(s: &Summary, accounts: &[Account]) -> Markup {
    let f = &s.frame;
    if f.rules.is_empty() {
        return html! {};
    }
    let mut counts = vec![0usize; f.rules.len()];
    for a in accounts {
        for r in &a.fired {
            if let Some(c) = counts.get_mut(*r) {
                *c += 1;
            }
        }
    }
    let silent = counts.iter().filter(|c| **c == 0).count();
    html! {
        h2 { "Rule coverage" } "\n"
        p class="sub" {
            "How many of the " (thousands(accounts.len())) " accounts each rule fired for"
            @if silent > 0 {
                "; " b id="silent-rules" { (thousands(silent)) }
                " rule" (if silent == 1 { "" } else { "s" }) " fired for no account (flagged ⚠)"
            }
            "."
        }
        "\n"
        div class="scroll" {
            table id="coverage" data-sortable {
                thead {
                    tr {
                        th class="t" { "rule" } th class="t" { "does" } th { "accounts" }
                        th { "share" } th class="t" { "at" }
                    }
                }
                tbody {
                    "\n"
                    @for (rule, n) in f.rules.iter().zip(&counts) {
                        tr class=[(*n == 0).then_some("silent")] {
                            td class="t" { @if *n == 0 { "⚠ " } (rule.name) }
                            td class="t" { (rule.does) }
                            td { (thousands(*n)) }
                            td { (pct(share(*n, accounts.len()))) }
                            td class="t" { code { (rule.place) } }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
    }
}

/// The search over every account: shown by the script (the page reads the
/// same without it), filled from the index [`index`] embeds.
fn find(f: &Frame, accounts: usize) -> Markup {
    html! {
        section id="find" hidden {
            "\n"
            h2 { "Find an account" } "\n"
            p class="sub" {
                "Any of the " (thousands(accounts)) " accounts, by its id"
                @if !f.by.is_empty() {
                    " or a group value (" (f.by.join(", ")) ")"
                }
                "; at most " (FIND_ROWS) " shown, the least healthy first."
            }
            "\n"
            input type="search" id="find-q"
                placeholder=(if f.by.is_empty() { "account id" } else { "account id or group value" })
                aria-label="find an account" autocomplete="off";
            "\n"
            p class="sub" id="find-count" aria-live="polite" {}
            "\n"
            div class="scroll" id="find-out" hidden {
                table class="stack" id="find-results" {
                    thead {
                        tr {
                            th { "account" } th class="t" { "status" } th { "health" }
                            @if let Some(v) = &f.value { th { (v) } }
                            @for b in &f.by { th class="t" { (b) } }
                            th class="t" { "section" }
                        }
                    }
                    tbody {}
                }
            }
            "\n"
        }
        "\n"
        noscript {
            p class="sub" {
                "With scripts on, a search box here finds any account; the accounts at risk are listed below."
            }
        }
        "\n"
    }
}

/// At most this many search results are shown.
const FIND_ROWS: usize = 50;

/// A JSON string inside a `<script>` element: `<` escaped so that no
/// `</script>` can end it.
fn json_text(out: &mut String, s: &str) {
    let j = serde_json::Value::String(s.to_string()).to_string();
    for c in j.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

/// Every account, compact, in an inert JSON script element for the search:
/// ids, health, status index, whole value, group value indices (`-1`:
/// none), by column, the least healthy first.
fn index(f: &Frame, accounts: &[Account], col: &[&str]) -> Markup {
    let mut json = String::new();
    let o = &mut json;
    let mut order: Vec<&Account> = accounts.iter().collect();
    order.sort_by(|a, b| {
        // no health last
        match (a.health, b.health) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then(a.account.cmp(&b.account))
    });
    let list = |o: &mut String, items: &mut dyn Iterator<Item = String>| {
        o.push('[');
        for (k, x) in items.enumerate() {
            if k > 0 {
                o.push(',');
            }
            o.push_str(&x);
        }
        o.push(']');
    };
    o.push_str("{\"statuses\":[");
    for (k, st) in f.statuses.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        json_text(o, st);
    }
    o.push_str("],\"colours\":");
    list(o, &mut col.iter().map(|c| format!("\"{c}\"")));
    o.push_str(",\"value\":");
    match &f.value {
        Some(v) => json_text(o, v),
        None => o.push_str("null"),
    }
    o.push_str(",\"by\":[");
    for (k, b) in f.by.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        json_text(o, b);
    }
    o.push_str("],\"id\":[");
    for (k, a) in order.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        json_text(o, &a.account);
    }
    o.push_str("],\"health\":");
    list(
        o,
        &mut order.iter().map(|a| {
            a.health
                .map(|h| round(h, 1).to_string())
                .unwrap_or_else(|| "null".into())
        }),
    );
    o.push_str(",\"status\":");
    list(
        o,
        &mut order
            .iter()
            .map(|a| a.status.map_or("-1".to_string(), |s| s.to_string())),
    );
    if f.value.is_some() {
        o.push_str(",\"values\":");
        list(
            o,
            &mut order.iter().map(|a| {
                a.value
                    .map(|v| round(v, 0).to_string())
                    .unwrap_or_else(|| "null".into())
            }),
        );
    }
    // each group column: its distinct values, and each account's index
    o.push_str(",\"groups\":[");
    for g in 0..f.by.len() {
        if g > 0 {
            o.push(',');
        }
        let mut values: Vec<&str> = order
            .iter()
            .filter_map(|a| a.group.get(g)?.as_deref())
            .collect();
        values.sort_unstable();
        values.dedup();
        o.push_str("{\"values\":[");
        for (k, v) in values.iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            json_text(o, v);
        }
        o.push_str("],\"of\":");
        list(
            o,
            &mut order.iter().map(|a| {
                a.group
                    .get(g)
                    .and_then(|v| v.as_deref())
                    .and_then(|v| values.binary_search(&v).ok())
                    .map_or("-1".to_string(), |i| i.to_string())
            }),
        );
        o.push('}');
    }
    o.push_str("]}");
    // trusted: JSON whose strings have `<`, `>` and `&` escaped
    html! {
        script type="application/json" id="accounts-index" { (PreEscaped(json)) }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Data spliced into the templates is escaped (maud): text and
    /// attribute values.
    #[test]
    fn escapes_markup() {
        let hostile = "<script>alert('x') & \"y\"</script>";
        let f = Frame {
            statuses: vec![hostile.into()],
            by: vec![hostile.into()],
            ..Frame::default()
        };
        let escaped = "&lt;script&gt;alert('x') &amp; &quot;y&quot;&lt;/script&gt;";
        let legend = legend(&f, &colours(1)).into_string();
        assert!(!legend.contains("<script"), "{legend}");
        assert!(
            legend.contains(&format!("</i>{escaped}</span>")),
            "{legend}"
        );
        let find = find(&f, 1).into_string();
        assert!(!find.contains("<script"), "{find}");
        assert!(
            find.contains(&format!("<th class=\"t\">{escaped}</th>")),
            "{find}"
        );
        assert!(
            find.contains(&format!("or a group value ({escaped})")),
            "{find}"
        );
    }

    /// The search's index: inert JSON no data can end, least healthy first
    /// (no health last), groups as indices into their distinct values.
    #[test]
    fn account_index() {
        let f = Frame {
            statuses: vec!["good".into(), "bad".into()],
            by: vec!["tier".into()],
            value: Some("arr".into()),
            ..Frame::default()
        };
        let acct = |id: &str, h: Option<&str>, st: usize, tier: Option<&str>| Account {
            account: id.into(),
            health: h.and_then(|h| h.parse().ok()),
            status: Some(st),
            value: "1234.5".parse().ok(),
            group: vec![tier.map(String::from)],
            ..Account::default()
        };
        let accounts = vec![
            acct("b", Some("80"), 0, Some("gold")),
            acct("</script><x>&", Some("12.35"), 1, None),
            acct("c", None, 1, Some("basic")),
        ];
        let o = index(&f, &accounts, &colours(2)).into_string();
        let json = o
            .strip_prefix("<script type=\"application/json\" id=\"accounts-index\">")
            .and_then(|j| j.strip_suffix("</script>\n"))
            .unwrap_or_default();
        assert!(!json.contains('<') && !json.contains('&'), "{json}");
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        assert_eq!(v["id"], serde_json::json!(["</script><x>&", "b", "c"]));
        assert_eq!(v["health"], serde_json::json!([12.4, 80, null]));
        assert_eq!(v["status"], serde_json::json!([1, 0, 1]));
        assert_eq!(v["values"], serde_json::json!([1235, 1235, 1235]));
        assert_eq!(
            v["groups"],
            serde_json::json!([{"values": ["basic", "gold"], "of": [-1, 1, 0]}])
        );
        assert_eq!(v["by"], serde_json::json!(["tier"]));
    }

    #[test]
    fn first_arm_green_last_vermillion() {
        for n in 1..9 {
            let c = colours(n);
            assert_eq!(c.len(), n);
            assert_eq!(c[0], "#009E73");
            if n > 1 {
                assert_eq!(c[n - 1], "#D55E00");
            }
        }
    }
}
