// The live page of `augur serve`: polls the JSON API every 10 s and renders it. Text from the
// telemetry (log lines, service names) is only ever set as textContent, never parsed as HTML.
'use strict';

const REFRESH_MS = 10000;
const $ = (sel) => document.querySelector(sel);
let selected = null;      // the stored incident shown below the table
let reportTime = null;    // the run whose report the frame shows
let answered = 0;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function getJson(url, options) {
  const res = await fetch(url, options);
  let body = {};
  try { body = await res.json(); } catch (_) { /* a body that is not JSON: use the status */ }
  if (!res.ok) throw new Error(`${url}: ${body.error || res.status + ' ' + res.statusText}`);
  return body;
}

function showError(message) {
  const e = $('#error');
  e.hidden = !message;
  e.textContent = message || '';
}

const pct = (p) => (p == null ? '–' : `${Math.round(p * 100)} %`);
const count = (n) => (n == null ? '–' : Number(n).toLocaleString('en'));
const bytes = (n) => (n == null ? '–' : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB`
                                      : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const shortTime = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC') : '–');

function renderStatus(s) {
  $('#mode').textContent = s.mode === 'record' ? 'recording (no model)' : 'detecting';
  const d = s.detection || {}, r = s.received || {}, sp = s.spool || {};
  const figures = [
    ['spans', count(r.spans)], ['log lines', count(r.logs)], ['metric points', count(r.metric_points)],
    ['rejected records', count(r.rejected)], ['requests (bad)', `${count(r.requests)} (${count(r.bad_requests)})`],
    ['received', bytes(r.bytes)], ['spool', `${bytes(sp.bytes)} in ${count(sp.closed_segments)} segment(s)`],
    ['newest record', shortTime(sp.newest_record)], ['model', s.model || '–'],
    ['detection runs (failed)', `${count(d.runs)} (${count(d.failed_runs)})`],
    ['every / lookback', d.every_seconds ? `${d.every_seconds} s / ${d.lookback_seconds} s` : `on demand / ${d.lookback_seconds} s`],
    ['last run took', d.last_run_seconds == null ? '–' : `${Number(d.last_run_seconds).toFixed(1)} s`],
    ['incidents stored since start', count(d.stored_incidents)],
  ];
  if (s.nats) figures.push(['NATS', `${s.nats.connected ? 'connected' : 'not connected'}, ${count(s.nats.acked)} acked`]);
  if (s.alertmanager) figures.push(['Alertmanager', `${count(s.alertmanager.alerts)} alerts, ${count(s.alertmanager.failures)} failures`]);
  const dl = $('#status');
  dl.replaceChildren(...figures.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
  for (const [k, v] of [['last error', d.last_error], ['NATS error', s.nats && s.nats.last_error],
                        ['Alertmanager error', s.alertmanager && s.alertmanager.last_error]])
    if (v) dl.append(el('div', {}, el('dt', { text: k }), el('dd', { class: 'bad', text: v })));
}

function origin(inc) {
  const top = (inc.ranking || [])[0];
  if (!top) return el('span', { class: 'muted', text: 'not localized' });
  return el('span', {}, el('span', { class: `level ${top.level}`, text: top.level }), ` ${top.service} `,
            el('span', { class: 'muted', text: `P(origin) ${pct(top.probability)}` }));
}

function renderLatest(run) {
  const list = $('#latest');
  const incidents = run.incidents || [];
  document.body.dataset.latestIncidents = incidents.length;
  $('#report-box').hidden = !run.time;
  const open = incidents.filter((inc) => inc.open).length;
  document.title = open ? `(${open} open) augur` : 'augur';  // seen from another tab
  if (!run.time) {
    $('#latest-summary').textContent = run.note || 'No detection run has finished yet.';
    list.replaceChildren();
    return;
  }
  $('#latest-summary').textContent =
      `${shortTime(run.time)}: ${count(run.records)} records in ${run.segments} segment(s), ` +
      `${count(run.anomalies)} anomalies, ${incidents.length} incident(s).`;
  list.replaceChildren(...incidents.map((inc) => {
    const li = el('li', {}, origin(inc), ' · ', el('span', { text: inc.fault_type || 'unknown' }), ' · ');
    if (inc.open) li.append(el('span', { class: 'open', text: 'open' }));
    else if (inc.store_id != null) {
      const a = el('a', { href: `#incident=${inc.store_id}`, text: `stored #${inc.store_id}` });
      li.append(a);
    }
    li.append(el('div', { text: inc.summary || '' }));
    return li;
  }));
  if (run.time !== reportTime) {  // a new run: load its report once
    reportTime = run.time;
    $('#report').src = `/report?run=${encodeURIComponent(run.time)}`;
  }
}

function renderAccuracy(a) {
  document.body.dataset.labelled = a.labelled;
  $('#accuracy').textContent = !a.labelled
      ? 'No verdicts yet: label an incident below to measure how augur does here.'
      : `By the on-call's verdicts on ${a.labelled} of ${a.incidents} incident(s): ` +
        `${pct(a.precision)} were real faults (${a.false_alarms} false alarm(s)); ` +
        (a.with_root_cause ? `the service at fault ranked first in ${pct(a.root_cause_at1)}, ` +
                             `in the top 3 in ${pct(a.root_cause_at3)} (of ${a.with_root_cause}).`
                           : 'no service at fault named yet.');
}

function renderLabels(labels) {
  $('#labels').replaceChildren(...(labels.length ? labels : [null]).map((l) => l === null
      ? el('li', { class: 'muted', text: 'No verdict yet.' })
      : el('li', { text: `${shortTime(l.time)}: ${l.verdict === 'confirmed' ? 'a real fault' : 'a false alarm'}` +
                         (l.root_cause ? `, in ${l.root_cause}` : '') + (l.note ? ` (${l.note})` : '') })));
}

function renderStored(rows) {
  document.body.dataset.stored = rows.length;
  $('#stored-empty').hidden = rows.length > 0;
  $('#stored').hidden = rows.length === 0;
  $('#stored tbody').replaceChildren(...rows.map((r) => {
    const tr = el('tr', { 'data-id': r.id },
                  el('td', { text: r.id }), el('td', { text: shortTime(r.start) }), el('td', { text: shortTime(r.end) }),
                  el('td', { text: r.root_cause || '–' }), el('td', { text: pct(r.probability) }),
                  el('td', { text: r.fault_type || '' }), el('td', { text: r.summary || '' }));
    if (r.id === selected) tr.classList.add('selected');
    tr.addEventListener('click', () => { location.hash = `incident=${r.id}`; });
    return tr;
  }));
}

async function showIncident(id) {
  const inc = await getJson(`/api/incidents/${id}`);
  selected = id;
  for (const tr of document.querySelectorAll('#stored tbody tr'))
    tr.classList.toggle('selected', Number(tr.dataset.id) === id);
  $('#detail-section').hidden = false;
  $('#detail-title').textContent = `Incident #${id}: ${shortTime(inc.start)} – ${shortTime(inc.end)}`;
  $('#detail-summary').textContent = inc.summary || '';
  $('#detail-narrative').textContent = inc.narrative || '';
  $('#ranking tbody').replaceChildren(...(inc.ranking || []).map((r) => el('tr', {},
      el('td', { text: r.service }),
      el('td', { class: 'nowrap' }, el('span', { class: `bar ${r.level}`, style: `width:${Math.max(2, Math.round((r.outage_probability || 0) * 120))}px` }),
         pct(r.outage_probability)),
      el('td', { text: pct(r.probability) }),
      el('td', { class: 'evidence', text: (r.evidence || []).slice(0, 3).join(' · ') }))));
  renderLabels(inc.labels || []);
  $('#root-cause').replaceChildren(el('option', { value: '', text: 'not sure where' }),
      ...(inc.ranking || []).map((r) => el('option', { value: r.service, text: r.service })));
  if ((inc.ranking || []).length) $('#root-cause').value = inc.ranking[0].service;
  $('#chat').replaceChildren();
  document.body.dataset.detail = id;
}

async function ask(question) {
  if (selected == null || !question) return;
  const chat = $('#chat');
  chat.append(el('div', { class: 'q', text: question }));
  const a = el('div', { class: 'a', text: '…' });
  chat.append(a);
  try {
    const r = await getJson(`/api/incidents/${selected}/ask?q=${encodeURIComponent(question)}`);
    a.textContent = r.answer;
    const source = r.source === 'augur' ? 'answered from the incident record' : `answered by ${r.source}`;
    a.append(el('small', { text: r.warning ? `${source} (${r.warning})` : source }));
  } catch (e) {
    a.textContent = e.message;
  }
  document.body.dataset.answered = ++answered;
}

// The hash names what to show: #incident=ID, optionally &ask=QUESTION (a link one can share).
async function followHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const id = Number(params.get('incident'));
  if (!id) return;
  try {
    if (id !== selected) await showIncident(id);
    if (params.get('ask')) await ask(params.get('ask'));
  } catch (e) {
    showError(e.message);
  }
}

async function refresh() {
  try {
    const [status, run, stored, accuracy] = await Promise.all(
        [getJson('/api/status'), getJson('/api/incidents'), getJson('/api/incidents/stored?limit=200'),
         getJson('/api/accuracy')]);
    renderStatus(status);
    renderLatest(run);
    renderStored(stored);
    renderAccuracy(accuracy);
    showError('');
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    // fetch fails with a TypeError when the server cannot be reached; an answer that is an
    // error says what went wrong itself.
    showError(e instanceof TypeError ? `cannot reach the server (${e.message})` : e.message);
  }
}

$('#ask').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = $('#question').value.trim();
  $('#question').value = '';
  ask(q);
});
$('#detect').addEventListener('click', async () => {
  const b = $('#detect');
  b.disabled = true;
  b.textContent = 'Running…';
  try {
    await getJson('/api/detect', { method: 'POST', body: '' });
    showError('');
  } catch (e) {
    showError(e.message);
  }
  b.disabled = false;
  b.textContent = 'Run now';
  refresh();
});
$('#label').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (selected == null) return;
  const verdict = document.querySelector('input[name="verdict"]:checked').value;
  const label = { verdict, note: $('#note').value.trim() };
  if (verdict === 'confirmed') label.root_cause = $('#root-cause').value;
  try {
    await getJson(`/api/incidents/${selected}/label`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(label) });
    $('#note').value = '';
    renderLabels((await getJson(`/api/incidents/${selected}`)).labels || []);
    renderAccuracy(await getJson('/api/accuracy'));
    showError('');
  } catch (e) {
    showError(e.message);
  }
});
window.addEventListener('hashchange', followHash);

(async () => {
  await refresh();
  await followHash();
  document.body.dataset.rendered = 'yes';
  setInterval(refresh, REFRESH_MS);
})();
