// k2's dashboard: renders /api/dashboard every 30 s. Read-only unless an API
// token is stored (localStorage "k2.token", or "#token=..." in the URL), which
// is sent as a bearer header and enables "run now".
(function () {
  'use strict';
  var REFRESH_MS = 30000;
  var TOKEN_KEY = 'k2.token';
  var charts = {};

  function token() {
    try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }
  function setToken(value) {
    try {
      if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives for this page only */ }
    memoryToken = value;
  }
  var memoryToken = '';
  function currentToken() { return token() || memoryToken; }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') node.textContent = attrs[k];
        else if (k === 'class') node.className = attrs[k];
        else if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function bytes(n) {
    if (n === null || n === undefined) return '-';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    var i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }
  function count(n) {
    if (n === null || n === undefined) return '-';
    return Number(n).toLocaleString('en-US');
  }
  function duration(s) {
    if (s === null || s === undefined) return '-';
    s = Math.max(0, s);
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
  }
  function time(t) {
    return t ? t.replace('T', ' ').replace('Z', ' UTC') : '-';
  }
  function ago(t, now) {
    if (!t) return '';
    return duration((Date.parse(now) - Date.parse(t)) / 1000) + ' ago';
  }
  function statusCell(status) {
    return el('td', { class: 'status-' + status, text: status });
  }

  function kpi(label, value, sub, cls, attrs) {
    var a = Object.assign({ class: 'kpi' + (cls ? ' ' + cls : '') }, attrs || {});
    return el('div', a, el('div', { class: 'label', text: label }),
              el('div', { class: 'value', text: value }),
              sub ? el('div', { class: 'sub', text: sub, title: sub }) : null);
  }

  function tableCard(t, data) {
    var lagClass = t.watermark === null ? 'warn' : t.lag_seconds > 2 * 3600 ? 'bad' :
                   t.lag_seconds > 3600 ? 'warn' : '';
    var last = t.last_offload;
    var fs = t.file_sizes;
    var smallPct = (fs.small_share * 100).toFixed(0) + '%';
    var audit = t.maintenance.audit;
    var auditText = '-', auditClass = '', auditSub = 'never audited';
    if (audit) {
      var mism = audit.audit_failures;
      auditText = audit.status !== 'succeeded' ? audit.status :
                  (mism === undefined ? (audit.audit_ok === false ? 'mismatch' : 'ok') :
                   mism + ' mismatch' + (mism === 1 ? '' : 'es'));
      auditClass = audit.status !== 'succeeded' || audit.audit_ok === false ? 'bad' : '';
      auditSub = time(audit.finished);
    }
    var card = el('section', {
      class: 'card', 'data-table': t.table, 'data-lag-seconds': Math.round(t.lag_seconds),
      'data-watermark': t.watermark || '', 'data-rows': t.total_rows, 'data-bytes': t.total_bytes,
      'data-data-files': t.data_files, 'data-delete-files': t.delete_files,
      'data-snapshots': t.snapshots, 'data-small-files': fs.small_files,
      'data-windows': t.windows.length
    });
    card.appendChild(el('h3', { text: t.table }));
    card.appendChild(el('div', { class: 'kpis' },
      kpi('cold lag', t.watermark ? duration(t.lag_seconds) : 'never offloaded',
          'watermark ' + time(t.watermark), lagClass, { 'data-kpi': 'lag' }),
      kpi('last offload', last ? count(last.rows) + ' rows' : '-',
          last ? time(last.start) + ' window, ' + ago(last.committed, data.generated) : '', '',
          { 'data-kpi': 'last-offload' }),
      kpi('rows', count(t.total_rows), bytes(t.total_bytes), '', { 'data-kpi': 'rows' }),
      kpi('data files', count(t.data_files),
          t.data_files ? bytes(fs.smallest_bytes) + ' … ' + bytes(fs.largest_bytes) : '', '',
          { 'data-kpi': 'files' }),
      kpi('small files', smallPct, count(fs.small_files) + ' under ' +
          bytes(fs.small_threshold_bytes) + ' (compaction debt)',
          fs.small_share > 0.5 && fs.small_files > 10 ? 'warn' : '', { 'data-kpi': 'small' }),
      kpi('delete files', count(t.delete_files),
          count(t.position_deletes) + ' pos / ' + count(t.equality_deletes) + ' eq rows',
          t.delete_files > 0 ? 'warn' : '', { 'data-kpi': 'deletes' }),
      kpi('snapshots', count(t.snapshots), '', '', { 'data-kpi': 'snapshots' }),
      kpi('last audit', auditText, auditSub, auditClass, { 'data-kpi': 'audit' })));

    var chart = el('div', { class: 'chart' });
    var sizes = el('div', { class: 'sizes' }, el('div', { class: 'muted small',
      text: 'data file sizes (red: under the compaction minimum)' }));
    var maxFiles = Math.max.apply(null, fs.buckets.map(function (b) { return b.files; }).concat([1]));
    var lower = 0;
    fs.buckets.forEach(function (b) {
      var label = b.le_bytes === null ? '> ' + bytes(lower) : '≤ ' + bytes(b.le_bytes);
      var small = fs.small_threshold_bytes > 0 && lower < fs.small_threshold_bytes;
      sizes.appendChild(el('div', { class: 'bar' + (small ? ' small' : '') },
        el('span', { class: 'l', text: label }),
        el('span', { class: 'b', style: 'width:' + Math.round(160 * b.files / maxFiles) + 'px' }),
        el('span', { class: 'n', text: count(b.files) })));
      if (b.le_bytes !== null) lower = b.le_bytes;
    });
    card.appendChild(el('div', { class: 'row2' }, chart, sizes));

    var maint = el('table', { class: 'grid maint' }, el('thead', null, el('tr', null,
      el('th', { text: 'operation' }), el('th', { text: 'status' }), el('th', { text: 'finished' }),
      el('th', { text: 'duration' }), el('th', { text: 'detail' }))));
    var body = el('tbody');
    ['compaction', 'expire', 'orphans', 'manifests', 'audit'].forEach(function (job) {
      var r = t.maintenance[job];
      if (!r) {
        body.appendChild(el('tr', { 'data-job': job }, el('td', { text: job }),
          el('td', { class: 'muted', text: 'never run' }), el('td'), el('td'), el('td')));
        return;
      }
      body.appendChild(el('tr', { 'data-job': job }, el('td', { text: job }), statusCell(r.status),
        el('td', { text: time(r.finished) }), el('td', { class: 'num', text: duration(r.duration_seconds) }),
        el('td', { class: r.error ? 'err' : '', text: r.error || (job === 'audit' ?
          auditLine(r) : summarize(r.detail)) })));
    });
    maint.appendChild(body);
    card.appendChild(maint);
    return { card: card, chart: chart };
  }

  // Maintenance details are the operation's JSON report: one line of what changed.
  function summarize(detail) {
    if (!detail) return '';
    var j;
    try { j = JSON.parse(detail); } catch (e) { return detail; }
    var n = function (k) { return j[k] === undefined ? '?' : count(j[k]); };
    switch (j.operation) {
      case 'compact':
        return 'files ' + n('files_before') + ' → ' + n('files_after') + ', ' +
          bytes(j.bytes_before) + ' → ' + bytes(j.bytes_after) + '; groups ' +
          n('groups_committed') + ' committed, ' + n('groups_skipped') + ' skipped, ' +
          n('groups_failed') + ' failed';
      case 'expire':
        return 'snapshots ' + n('snapshots_before') + ' → ' + n('snapshots_after') + '; ' +
          n('data_files_deleted') + ' data files, ' + bytes(j.bytes_deleted) + ' deleted';
      case 'orphans':
        return n('orphans_found') + ' orphans of ' + n('files_listed') + ' files, ' +
          n('files_deleted') + ' deleted (' + bytes(j.bytes_deleted) + ')';
      case 'manifests':
        return 'manifests ' + n('manifests_before') + ' → ' + n('manifests_after');
      default:
        return detail.length > 200 ? detail.slice(0, 200) + '…' : detail;
    }
  }

  function auditLine(r) {
    if (r.audit_failures === undefined) return r.detail || '';
    return r.audit_failures === 0 ? 'every window agrees' :
      r.audit_failures + ' windows disagree: ' + (r.detail || '');
  }

  function drawChart(container, t, hours, now) {
    var xs = [], rows = [], mib = [];
    t.windows.forEach(function (w) {
      xs.push(Date.parse(w.start) / 1000);
      rows.push(w.rows);
      mib.push(w.bytes / 1048576);
    });
    var end = Date.parse(now) / 1000;
    var width = Math.max(300, container.clientWidth || 600);
    var opts = {
      title: 'rows and MiB per window, last ' + hours + ' h',
      width: width, height: 200,
      scales: { x: { time: true, range: [end - hours * 3600, end] }, mib: {} },
      series: [
        {},
        { label: 'rows', stroke: '#4c78a8', fill: 'rgba(76,120,168,0.35)',
          paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 30] }) : undefined,
          points: { show: false } },
        { label: 'MiB', scale: 'mib', stroke: '#f58518', width: 2,
          value: function (u, v) { return v === null ? '-' : v.toFixed(2); } }
      ],
      axes: [{}, { label: 'rows', size: 60 }, { side: 1, scale: 'mib', label: 'MiB', grid: { show: false } }]
    };
    var old = charts[t.table];
    if (old) old.destroy();
    charts[t.table] = new uPlot(opts, [xs, rows, mib], container);
  }

  function renderTables(data) {
    var box = document.getElementById('tables');
    box.textContent = '';
    if (!data.tables.length) {
      box.appendChild(el('p', { class: 'muted', text: 'No table has been offloaded yet.' }));
    }
    data.tables.forEach(function (t) {
      var parts = tableCard(t, data);
      box.appendChild(parts.card);
      if (window.uPlot) drawChart(parts.chart, t, data.hours, data.generated);
    });
  }

  function renderAlerts(data) {
    var box = document.getElementById('alerts');
    box.textContent = '';
    data.alerts.forEach(function (a) {
      box.appendChild(el('div', { class: 'alert' }, el('b', { text: a.alert || a.kind || 'alert' }),
        ' ' + (a.subject || '') + ': ' + (a.message || '') + ' (since ' + time(a.since) + ')'));
    });
  }

  function renderJobs(data) {
    var body = document.querySelector('#jobs tbody');
    body.textContent = '';
    data.jobs.forEach(function (j) {
      var last = j.last_run;
      var state = j.running ? 'running' : !j.enabled ? 'disabled' : j.retry_at ? 'retry at ' + time(j.retry_at) : 'idle';
      var btn = el('button', { type: 'button', text: 'run now' });
      btn.addEventListener('click', function () { runJob(j.name, btn); });
      body.appendChild(el('tr', { 'data-job': j.name }, el('td', { text: j.name }),
        el('td', null, el('code', { text: j.cron || '' })), el('td', { text: time(j.next_fire) }),
        el('td', { class: j.running ? 'status-running' : '', text: state }),
        last ? statusCell(last.status) : el('td', { class: 'muted', text: 'never' }),
        el('td', { text: time(j.last_success) }), el('td', { class: 'write' }, btn)));
    });
  }

  function renderHistory(data) {
    var body = document.querySelector('#history tbody');
    var failuresOnly = document.getElementById('failures-only').checked;
    body.textContent = '';
    data.history.forEach(function (r) {
      if (failuresOnly && ['failed', 'timed_out', 'cancelled'].indexOf(r.status) < 0) return;
      var o = r.outcome || {};
      body.appendChild(el('tr', { 'data-run': r.id, 'data-status': r.status },
        el('td', { class: 'num', text: String(r.id) }), el('td', { text: r.job }),
        el('td', { text: r.trigger }), el('td', { class: 'num', text: String(r.attempt) }),
        el('td', { text: time(r.started) }), el('td', { class: 'num', text: duration(r.duration_seconds) }),
        statusCell(r.status), el('td', { class: 'num', text: count(o.rows) }),
        el('td', { class: 'num', text: bytes(o.bytes) }),
        el('td', { class: 'err', text: r.error ? (r.error_kind ? r.error_kind + ': ' : '') + r.error : '' })));
    });
  }

  var lastData = null;

  function headers() {
    var h = { 'Accept': 'application/json' };
    var t = currentToken();
    if (t) h['Authorization'] = 'Bearer ' + t;
    return h;
  }

  function showError(message) {
    var box = document.getElementById('error');
    box.textContent = message;
    box.hidden = !message;
  }

  function refresh() {
    return fetch('/api/dashboard', { headers: headers(), cache: 'no-store' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 401) {
          throw new Error('The API requires a token: enter it above (it is kept in this browser).');
        }
        if (!res.ok) {
          throw new Error('HTTP ' + res.status + ': ' + (body.error ? body.error.message : ''));
        }
        return body;
      });
    }).then(function (data) {
      lastData = data;
      document.body.classList.toggle('can-write', !!currentToken());
      renderAlerts(data);
      renderTables(data);
      renderJobs(data);
      renderHistory(data);
      showError('');
      document.getElementById('status').textContent = 'as of ' + time(data.generated) +
        (currentToken() ? '' : ' · read-only');
      document.body.setAttribute('data-state', 'loaded');
    }).catch(function (e) {
      showError(e.message);
      document.getElementById('status').textContent = 'not loaded';
      document.body.setAttribute('data-state', 'error');
    });
  }

  function runJob(name, btn) {
    btn.disabled = true;
    fetch('/api/jobs/' + encodeURIComponent(name) + '/run', { method: 'POST', headers: headers() })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          btn.textContent = res.status === 202 ? 'started' :
            (body.error ? body.error.kind : 'HTTP ' + res.status);
          setTimeout(refresh, 1000);
        });
      })
      .catch(function (e) { btn.textContent = e.message; })
      .then(function () { setTimeout(function () { btn.disabled = false; btn.textContent = 'run now'; }, 5000); });
  }

  // "#token=..." in the URL (e.g. a bookmark) is stored, then removed from the address.
  var m = /(?:^|[#&])token=([^&]*)/.exec(location.hash);
  if (m) {
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  document.getElementById('token').value = currentToken();
  document.getElementById('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    setToken(document.getElementById('token').value.trim());
    refresh();
  });
  document.getElementById('token-clear').addEventListener('click', function () {
    setToken('');
    document.getElementById('token').value = '';
    refresh();
  });
  document.getElementById('failures-only').addEventListener('change', function () {
    if (lastData) renderHistory(lastData);
  });
  window.addEventListener('resize', function () { if (lastData) renderTables(lastData); });
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
