/**
 * The dashboard, one self-contained page: markup, style and script inline, nothing loaded
 * from anywhere but the gateway (operators are often offline). The charts are small SVG
 * line drawings rather than a charting library, which would be the largest thing on the
 * page. Every value from the gateway is put in the page as text (`textContent`), never as
 * markup: topics and error messages come from clients.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mqgw dashboard</title>
<style>
  :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #f6f8fa; }
  header { display: flex; gap: 1.5rem; align-items: baseline; padding: 0.8rem 1.2rem; background: #24292f; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header span { color: #d0d7de; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1rem; padding: 1rem 1.2rem; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.8rem 1rem; overflow: auto; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 0.95rem; margin: 0 0 0.6rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eaeef2; vertical-align: top; white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 0.45rem; border-radius: 1rem; font-size: 0.8rem; font-weight: 600; color: #fff; }
  .healthy, .closed, .up, .online { background: var(--ok); }
  .degraded, .half_open { background: var(--warn); }
  .down, .open, .unhealthy, .offline { background: var(--bad); }
  .muted { color: var(--muted); }
  #problems { display: none; background: #fff8c5; border: 1px solid #d4a72c; padding: 0.5rem 1rem; margin: 1rem 1.2rem 0; border-radius: 6px; }
  #problems.shown { display: block; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
  svg { width: 100%; height: 140px; background: #fbfcfd; border: 1px solid #eaeef2; }
  .axis { display: flex; justify-content: space-between; font-size: 11px; color: #57606a; }
  .legend span { margin-right: 1rem; }
  .totals { display: flex; gap: 2rem; margin: 0.5rem 0; flex-wrap: wrap; }
  .totals b { font-size: 1.2rem; display: block; }
</style>
</head>
<body>
<header>
  <h1>mqgw</h1>
  <span>served by <b id="served-by">…</b></span>
  <span>Redis <b id="redis">…</b></span>
  <span>routes <b id="digest">…</b></span>
  <span id="updated" class="muted">connecting…</span>
</header>
<div id="problems" role="alert"></div>
<main>
  <section class="wide" id="traffic">
    <h2>Traffic</h2>
    <div class="totals">
      <div><b id="total-requests">0</b>requests</div>
      <div><b id="total-errors">0</b>errors</div>
      <div><b id="rate-limit-hits">0</b>rate-limit hits</div>
      <div><b id="current-rps">0</b>requests/s now</div>
    </div>
    <div class="charts">
      <div><div class="legend"><span>requests per second</span></div><svg id="chart-rps" viewBox="0 0 600 140" preserveAspectRatio="none"></svg><div class="axis" id="chart-rps-axis"></div></div>
      <div><div class="legend"><span style="color:#0969da">p50 ms</span><span style="color:#cf222e">p99 ms</span></div><svg id="chart-latency" viewBox="0 0 600 140" preserveAspectRatio="none"></svg><div class="axis" id="chart-latency-axis"></div></div>
    </div>
    <h2 style="margin-top:0.8rem">Errors by code</h2>
    <table><tbody id="errors-by-code"></tbody></table>
  </section>
  <section class="wide" id="services-section">
    <h2>Services and instances</h2>
    <table><thead><tr><th>service</th><th>status</th><th>instance</th><th>health</th><th class="num">in flight</th><th>last heartbeat</th><th>ejected until</th></tr></thead>
    <tbody id="services"></tbody></table>
  </section>
  <section id="breakers-section">
    <h2>Circuit breakers</h2>
    <table><thead><tr><th>service</th><th>state</th><th class="num">failures</th><th>probes at</th></tr></thead>
    <tbody id="breakers"></tbody></table>
  </section>
  <section id="admission-section">
    <h2>Admission</h2>
    <div class="totals">
      <div><b id="admission-inflight">0</b>admitted now</div>
      <div><b id="admission-limit">0</b>limit</div>
      <div><b id="admission-callers">0</b>callers</div>
    </div>
    <table><thead><tr><th>refused because</th><th class="num">requests</th></tr></thead>
    <tbody id="refusals"></tbody></table>
    <table><thead><tr><th>service</th><th class="num">calls out</th><th class="num">limit</th></tr></thead>
    <tbody id="service-limits"></tbody></table>
  </section>
  <section id="gateways-section">
    <h2>Gateway instances</h2>
    <table><thead><tr><th>instance</th><th class="num">in flight</th><th>last seen</th></tr></thead>
    <tbody id="gateways"></tbody></table>
  </section>
  <section class="wide" id="routes-section">
    <h2>Routes</h2>
    <table><thead><tr><th>topic</th><th>qos</th><th>upstream</th><th>steps</th><th>scopes</th><th class="num">requests</th><th class="num">error rate</th><th class="num" title="bodies refused by the request schema / service replies that broke the reply schema">contract violations</th></tr></thead>
    <tbody id="routes"></tbody></table>
  </section>
  <section class="wide" id="devices-section">
    <h2>Device commands and presence</h2>
    <p class="muted"><span id="devices-online">0</span> online of <span id="devices-known">0</span> known devices</p>
    <table><thead><tr><th>outcome</th><th>commands</th></tr></thead><tbody id="command-outcomes"></tbody></table>
    <table><thead><tr><th>device</th><th>status</th><th>protocol</th><th>since</th></tr></thead><tbody id="devices"></tbody></table>
  </section>
  <section class="wide" id="errors-section">
    <h2>Recent errors</h2>
    <table><thead><tr><th>time</th><th>code</th><th>topic</th><th>message</th><th>request id</th><th>trace id</th></tr></thead>
    <tbody id="recent-errors"></tbody></table>
  </section>
</main>
<script>
(() => {
  'use strict';
  const token = new URLSearchParams(location.search).get('token');
  const query = token ? '?token=' + encodeURIComponent(token) : '';
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };
  const badge = (text) => el('span', { class: 'badge ' + text }, text.replace('_', '-'));
  const time = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleTimeString() : '–');
  const fill = (id, rows) => $(id).replaceChildren(...rows);

  function line(svg, series, color, max) {
    const w = 600, h = 140, n = series.length;
    if (n < 2) return;
    const points = series.map((v, i) => (i * w) / (n - 1) + ',' + (h - 6 - (v / max) * (h - 16))).join(' ');
    const poly = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    poly.setAttribute('points', points);
    poly.setAttribute('fill', 'none');
    poly.setAttribute('stroke', color);
    poly.setAttribute('stroke-width', '2');
    poly.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(poly);
  }
  // The time axis: the start of the first, middle and last windows, in HTML rather than in
  // the SVG, whose stretched drawing would stretch the text with it.
  function axis(id, times) {
    const n = times.length;
    const picks = n < 2 ? [] : [0, Math.round((n - 1) / 3), Math.round((2 * (n - 1)) / 3), n - 1];
    fill(id + '-axis', picks.map((i) => el('span', {}, time(times[i]))));
  }
  function chart(id, lines, times) {
    const svg = $(id);
    svg.replaceChildren();
    const max = Math.max(1, ...lines.flatMap((l) => l.values));
    const label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    label.setAttribute('x', '4'); label.setAttribute('y', '12'); label.setAttribute('font-size', '11'); label.setAttribute('fill', '#57606a');
    label.textContent = 'max ' + Math.round(max * 10) / 10;
    svg.append(label);
    for (const l of lines) line(svg, l.values, l.color, max);
    svg.dataset.points = String(lines[0].values.length);
    axis(id, times);
  }

  function render(s) {
    $('served-by').textContent = s.served_by.instance + ' (' + s.served_by.version + ')';
    $('redis').replaceChildren(badge(s.redis));
    $('digest').textContent = s.routes_digest;
    $('updated').textContent = 'updated ' + time(s.generated_at);
    const problems = $('problems');
    problems.replaceChildren(...s.problems.map((p) => el('div', {}, p)));
    problems.classList.toggle('shown', s.problems.length > 0);

    const t = s.traffic;
    $('total-requests').textContent = t.totals.requests;
    $('total-errors').textContent = t.totals.errors;
    $('rate-limit-hits').textContent = t.totals.rate_limit_hits;
    const last = t.series[t.series.length - 1];
    $('current-rps').textContent = last ? last.rps : 0;
    const times = t.series.map((p) => p.t);
    chart('chart-rps', [{ values: t.series.map((p) => p.rps), color: '#1a7f37' }], times);
    chart('chart-latency', [
      { values: t.series.map((p) => p.p50_ms), color: '#0969da' },
      { values: t.series.map((p) => p.p99_ms), color: '#cf222e' },
    ], times);
    fill('errors-by-code', Object.entries(t.errors_by_code).sort((a, b) => b[1] - a[1]).map(([code, n]) =>
      el('tr', { 'data-code': code }, el('td', {}, code), el('td', { class: 'num' }, n))));

    const a = s.admission;
    $('admission-inflight').textContent = a.inflight;
    $('admission-limit').textContent = a.limit;
    $('admission-callers').textContent = a.callers;
    fill('refusals', Object.entries(a.refused_by_reason).map(([reason, n]) =>
      el('tr', { 'data-refusal': reason }, el('td', {}, reason), el('td', { class: 'num' }, n))));
    fill('service-limits', Object.entries(a.services).map(([name, l]) =>
      el('tr', { 'data-service-limit': name }, el('td', {}, name),
        el('td', { class: 'num' }, l.inflight), el('td', { class: 'num' }, l.limit))));

    fill('services', s.services.flatMap((svc) => {
      const rows = svc.instances.length ? svc.instances : [null];
      return rows.map((i, n) => el('tr', { 'data-service': svc.name },
        el('td', {}, n === 0 ? svc.name : ''),
        el('td', {}, n === 0 ? badge(svc.status) : ''),
        el('td', {}, i ? i.url : 'no instance'),
        el('td', {}, i ? badge(i.healthy ? 'up' : 'down') : ''),
        el('td', { class: 'num' }, i ? i.outstanding : ''),
        el('td', {}, i ? time(i.last_heartbeat) : ''),
        el('td', {}, i && i.ejected_until ? time(i.ejected_until) : '')));
    }));
    fill('breakers', s.breakers.map((b) => el('tr', { 'data-breaker': b.service },
      el('td', {}, b.service), el('td', { class: 'state' }, badge(b.state)),
      el('td', { class: 'num' }, b.failures), el('td', {}, b.probe_at ? time(b.probe_at) : '–'))));
    fill('gateways', s.gateways.map((g) => el('tr', { 'data-gateway': g.instance },
      el('td', {}, g.instance + (g.instance === s.served_by.instance ? ' (this page)' : '')),
      el('td', { class: 'num' }, g.inflight), el('td', {}, time(g.last_seen)))));
    fill('routes', s.routes.map((r) => el('tr', { 'data-route': r.topic },
      el('td', {}, r.topic), el('td', {}, r.qos),
      el('td', {}, r.service ? r.service + ' ' + r.method + ' ' + r.path : '(' + r.handler + ')'),
      el('td', { class: 'muted' }, r.steps.join(', ')), el('td', {}, r.scopes.join(', ') || '–'),
      el('td', { class: 'num requests' }, r.requests), el('td', { class: 'num' }, r.error_rate + ' %'),
      el('td', { class: 'num violations' }, r.request_violations + ' / ' + r.reply_violations))));
    const c = s.commands;
    $('devices-online').textContent = c.devices_online;
    $('devices-known').textContent = c.devices_known;
    fill('command-outcomes', Object.entries(c.by_outcome).sort((a, b) => b[1] - a[1]).map(([outcome, n]) =>
      el('tr', { 'data-outcome': outcome }, el('td', {}, outcome), el('td', { class: 'num' }, n))));
    fill('devices', c.devices.map((d) => el('tr', { 'data-device': d.name },
      el('td', {}, d.name), el('td', {}, badge(d.status)), el('td', {}, d.protocol), el('td', {}, time(d.since)))));
    fill('recent-errors', s.recent_errors.map((e) => el('tr', { 'data-request': e.request_id || '' },
      el('td', {}, time(e.time)), el('td', {}, e.code), el('td', {}, e.topic || ''),
      el('td', {}, e.message), el('td', { class: 'muted' }, e.request_id || ''),
      el('td', { class: 'muted trace' }, e.trace_id || ''))));
  }

  // Server-sent events every second; if the stream breaks, poll until it comes back.
  const base = location.pathname.replace(/\\/dashboard\\/?$/, '/');
  let polling;
  function poll() {
    fetch(base + 'dashboard/data' + query, { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
      .then(render)
      .catch((e) => { $('updated').textContent = 'gateway unreachable: ' + e.message; });
  }
  const events = new EventSource(base + 'dashboard/events' + query);
  events.onmessage = (m) => { clearInterval(polling); polling = undefined; render(JSON.parse(m.data)); };
  events.onerror = () => { if (!polling) polling = setInterval(poll, 2000); };
})();
</script>
</body>
</html>
`;
