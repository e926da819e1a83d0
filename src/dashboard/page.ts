/**
 * The dashboard page: one HTML document, one stylesheet, one script, no build step and no
 * library. Every value from Redis or a pool is put into the page with `textContent` (never
 * as HTML), so a job whose argument is `<script>` shows those characters. The script holds the
 * page's token (from a meta tag, which other sites cannot read) and sends it with every action.
 */

export function pageHtml(token: string): string {
  const attr = token
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="taskmill-token" content="${attr}">
<title>taskmill dashboard</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1><a href="#/">taskmill</a></h1>
  <nav><a href="#/" id="nav-overview">Overview</a><a href="#/jobs" id="nav-jobs">Jobs</a></nav>
  <span id="live" class="live">connecting</span>
</header>
<main id="main"></main>
<div id="toast" role="status" aria-live="polite"></div>
<script src="/app.js"></script>
</body>
</html>
`;
}

export const PAGE_CSS = `
:root { --bg: #f6f7f9; --card: #fff; --ink: #1d2430; --muted: #667085; --line: #e3e6eb; --ok: #12805c;
  --bad: #c4321c; --warn: #b26b00; --accent: #2f5bd3; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #1d2430; color: #fff; }
header h1 { font-size: 18px; margin: 0; } header a { color: #fff; text-decoration: none; }
nav a { margin-right: 16px; opacity: .8; } nav a.on { opacity: 1; border-bottom: 2px solid #fff; }
.live { margin-left: auto; font-size: 12px; padding: 2px 10px; border-radius: 10px; background: #555; }
.live.on { background: var(--ok); } .live.off { background: var(--bad); }
main { padding: 16px 20px; max-width: 1400px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 10px; } h3 { font-size: 14px; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); } .empty { color: var(--muted); padding: 8px 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #eef1f6; }
.badge.up, .badge.completed { background: #dff3ea; color: var(--ok); }
.badge.gone, .badge.failed { background: #fbe3de; color: var(--bad); }
.badge.stopped, .badge.paused, .badge.delayed { background: #fdf0d9; color: var(--warn); }
.badge.active { background: #e3ebff; color: var(--accent); }
button { font: inherit; font-size: 12px; padding: 3px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; margin: 0 4px 4px 0; }
button:hover { border-color: var(--accent); } button.danger:hover { border-color: var(--bad); color: var(--bad); }
pre { background: #f3f4f7; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; max-height: 420px; white-space: pre-wrap; word-break: break-word; margin: 4px 0; font-size: 12px; }
canvas.chart { width: 260px; height: 56px; display: block; }
.legend { font-size: 11px; color: var(--muted); } .legend b.c { color: var(--ok); } .legend b.f { color: var(--bad); }
.tabs button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
input, select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 5px; }
.kv { display: grid; grid-template-columns: 140px 1fr; gap: 4px 12px; }
.kv .k { color: var(--muted); }
.cell-preview { max-width: 360px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: ui-monospace, monospace; font-size: 12px; }
#toast { position: fixed; right: 20px; bottom: 20px; background: #1d2430; color: #fff; padding: 8px 14px; border-radius: 6px; opacity: 0; transition: opacity .2s; max-width: 480px; }
#toast.show { opacity: .95; } #toast.bad { background: var(--bad); }
.error-link { border-left: 3px solid var(--bad); padding-left: 10px; margin: 8px 0; }
`;

// The page's script. Plain ES2017 in a string: no template literals inside it.
export const PAGE_JS = String.raw`
(function () {
  'use strict';
  var token = document.querySelector('meta[name="taskmill-token"]').getAttribute('content');
  var main = document.getElementById('main');
  var live = document.getElementById('live');
  var state = null;
  var view = null;

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) for (var key in props) {
      var value = props[key];
      if (value === undefined || value === null) continue;
      if (key === 'text') el.textContent = String(value);
      else if (key === 'class') el.className = value;
      else if (key.slice(0, 2) === 'on') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, String(value));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function num(n) { return typeof n === 'number' ? n.toLocaleString('en-US') : '-'; }
  function when(ms) { return ms ? new Date(ms).toLocaleString() : '-'; }
  function ago(ms) {
    if (!ms) return '-';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    return Math.round(s / 3600) + ' h ago';
  }
  function span(ms) {
    if (!ms || ms < 0) return '-';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function badge(text) { return h('span', { class: 'badge ' + text, text: text }); }
  function toast(message, bad) {
    var el = document.getElementById('toast');
    el.textContent = message;
    el.className = 'show' + (bad ? ' bad' : '');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.className = ''; }, 4000);
  }
  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-taskmill-token': token },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) throw new Error(b.error || ('HTTP ' + r.status));
        toast(b.message || 'done');
        return b;
      });
    }).catch(function (e) { toast(e.message, true); throw e; });
  }
  function q(name) { return '/api/queues/' + encodeURIComponent(name); }

  // A table whose rows are kept by key and whose cells are updated in place, so buttons stay put.
  function keyedTable(columns, actions) {
    var tbody = h('tbody');
    var rows = {};
    var table = h('table', null,
      h('thead', null, h('tr', null, columns.map(function (c) { return h('th', { class: c.num ? 'num' : '', text: c.title }); }),
        actions ? h('th', { text: '' }) : null)),
      tbody);
    var empty = h('div', { class: 'empty' });
    return {
      el: h('div', null, table, empty),
      update: function (items, key, emptyText) {
        var seen = {};
        items.forEach(function (item, index) {
          var id = key(item);
          seen[id] = true;
          var row = rows[id];
          if (!row) {
            row = { tr: h('tr', { 'data-key': id }), cells: [] };
            columns.forEach(function (c) { var td = h('td', { class: (c.num ? 'num ' : '') + (c.cls || '') }); row.cells.push(td); row.tr.appendChild(td); });
            if (actions) row.tr.appendChild(h('td', null, actions(item)));
            rows[id] = row;
          }
          columns.forEach(function (c, i) {
            var value = c.get(item);
            var td = row.cells[i];
            if (value && typeof value === 'object') {
              if (td.firstChild !== value) { td.textContent = ''; td.appendChild(value); }
            } else if (td.textContent !== String(value)) td.textContent = String(value);
          });
          if (tbody.children[index] !== row.tr) tbody.insertBefore(row.tr, tbody.children[index] || null);
        });
        Object.keys(rows).forEach(function (id) { if (!seen[id]) { rows[id].tr.remove(); delete rows[id]; } });
        empty.textContent = items.length === 0 ? emptyText : '';
      }
    };
  }

  function drawChart(canvas, history) {
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || 260, hgt = canvas.clientHeight || 56;
    canvas.width = w * ratio; canvas.height = hgt * ratio;
    var ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    ctx.clearRect(0, 0, w, hgt);
    ctx.strokeStyle = '#e3e6eb'; ctx.strokeRect(0.5, 0.5, w - 1, hgt - 1);
    if (!history || history.length < 2) return;
    var t0 = history[0][0], t1 = history[history.length - 1][0];
    var max = 1;
    history.forEach(function (p) { max = Math.max(max, p[3], p[4]); });
    function line(index, color) {
      ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = 1.5;
      history.forEach(function (p, i) {
        var x = 2 + (w - 4) * ((p[0] - t0) / Math.max(1, t1 - t0));
        var y = hgt - 3 - (hgt - 6) * (p[index] / max);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
    line(3, '#12805c'); line(4, '#c4321c');
  }

  // ---- Overview: queues, workers, local pools --------------------------------------------
  function overview() {
    var charts = {};
    var queues = keyedTable([
      { title: 'Queue', get: function (x) { return x.name; } },
      { title: 'State', get: function (x) { return badge(x.paused ? 'paused' : 'running'); }, cls: 'q-state' },
      { title: 'Waiting', num: true, cls: 'q-waiting', get: function (x) { return num(x.counts.waiting); } },
      { title: 'Active', num: true, cls: 'q-active', get: function (x) { return num(x.counts.active); } },
      { title: 'Delayed', num: true, cls: 'q-delayed', get: function (x) { return num(x.counts.delayed); } },
      { title: 'Completed', num: true, cls: 'q-completed', get: function (x) { return num(x.counts.completed); } },
      { title: 'Failed', num: true, cls: 'q-failed', get: function (x) { return num(x.counts.failed); } },
      { title: 'Workers', num: true, cls: 'q-workers', get: function (x) { return num(x.workers); } },
      { title: 'Completed / failed per s (last minutes)', cls: 'q-chart', get: function (x) {
        var box = charts[x.name];
        if (!box) {
          box = charts[x.name] = { canvas: h('canvas', { class: 'chart' }), legend: h('div', { class: 'legend' }) };
          box.el = h('div', null, box.canvas, box.legend);
        }
        var last = x.history[x.history.length - 1] || [0, 0, 0, 0, 0];
        box.legend.textContent = '';
        append(box.legend, [h('b', { class: 'c', text: last[3] + '/s completed' }), ' · ', h('b', { class: 'f', text: last[4] + '/s failed' })]);
        requestAnimationFrame(function () { drawChart(box.canvas, x.history); });
        return box.el;
      } }
    ], function (x) {
      var name = x.name;
      return [
        h('button', { text: 'Pause', 'data-action': 'pause', onclick: function () { post(q(name) + '/pause'); } }),
        h('button', { text: 'Resume', 'data-action': 'resume', onclick: function () { post(q(name) + '/resume'); } }),
        h('button', { text: 'Retry all failed', 'data-action': 'retry-failed', onclick: function () { post(q(name) + '/retry-failed'); } }),
        h('button', { text: 'Clean completed', class: 'danger', 'data-action': 'clean-completed', onclick: function () {
          if (confirm('Remove every completed job of ' + name + '?')) post(q(name) + '/clean', { state: 'completed' });
        } }),
        h('button', { text: 'Clean failed', class: 'danger', 'data-action': 'clean-failed', onclick: function () {
          if (confirm('Remove every failed job of ' + name + '?')) post(q(name) + '/clean', { state: 'failed' });
        } }),
        h('a', { href: '#/jobs/' + encodeURIComponent(name) + '/failed', text: 'jobs' })
      ];
    });
    var workers = keyedTable([
      { title: 'Worker', get: function (x) { return x.id; } },
      { title: 'Queue', get: function (x) { return x.queue; } },
      { title: 'Status', cls: 'w-status', get: function (x) { return badge(x.status); } },
      { title: 'Host', get: function (x) { return x.host; } },
      { title: 'PID', num: true, get: function (x) { return x.pid; } },
      { title: 'Backend', get: function (x) { return x.backend; } },
      { title: 'Concurrency', num: true, get: function (x) { return x.concurrency; } },
      { title: 'Uptime', get: function (x) { return x.status === 'up' ? span(Date.now() - x.startedAt) : '-'; } },
      { title: 'Running', num: true, cls: 'w-running', get: function (x) { return num(x.runningCount); } },
      { title: 'Current jobs', cls: 'cell-preview', get: function (x) { return x.running.map(function (j) { return j.id + ' ' + j.task; }).join(', ') || '-'; } },
      { title: 'Last heartbeat', get: function (x) { return ago(x.beatAt); } },
      { title: 'Done', num: true, cls: 'w-done', get: function (x) { return num(x.done); } },
      { title: 'Failed', num: true, cls: 'w-failed', get: function (x) { return num(x.failed); } }
    ]);
    var pools = keyedTable([
      { title: 'Pool', get: function (x) { return x.name; } },
      { title: 'Status', get: function (x) { return badge(x.status); } },
      { title: 'Where', get: function (x) { return x.where; } },
      { title: 'Backend', get: function (x) { return x.backend; } },
      { title: 'Workers', num: true, get: function (x) { return num(x.workers); } },
      { title: 'Queued', num: true, cls: 'p-queued', get: function (x) { return num(x.queued); } },
      { title: 'Running', num: true, cls: 'p-running', get: function (x) { return num(x.running); } },
      { title: 'Completed', num: true, cls: 'p-completed', get: function (x) { return num(x.completed); } },
      { title: 'Failed', num: true, get: function (x) { return num(x.failed); } },
      { title: 'Throughput', num: true, get: function (x) { return num(x.throughput) + '/s'; } },
      { title: 'Latency p50 / p90 / p99 (ms), per task', get: function (x) {
        return x.tasks.map(function (t) {
          var l = t.latencyMs;
          return t.task + ': ' + (l ? [l.p50, l.p90, l.p99].map(function (v) { return v.toFixed(2); }).join(' / ') : '-');
        }).join('; ') || '-';
      } }
    ]);
    var redis = h('div', { class: 'muted' });
    main.textContent = '';
    append(main, [
      h('section', { id: 'queues' }, h('h2', { text: 'Queues' }), redis, queues.el),
      h('section', { id: 'workers' }, h('h2', { text: 'Workers' }), workers.el),
      h('section', { id: 'pools' }, h('h2', { text: 'Local pools' }), pools.el)
    ]);
    return {
      update: function (s) {
        redis.textContent = s.redis === 'connected' ? '' : (s.redis === 'none' ? 'No Redis connection: start the dashboard with --redis to see queues.' : 'Redis ' + s.redis);
        queues.update(s.queues, function (x) { return x.name; }, 'No queues yet: they appear when a worker starts (or give --queue).');
        workers.update(s.workers, function (x) { return x.queue + '/' + x.id; }, 'No worker has sent a heartbeat in the last hour.');
        pools.update(s.pools, function (x) { return x.name; }, 'No local pool is exposed: call pool.expose({ dashboard }).');
      }
    };
  }

  // ---- Jobs of a queue, per state, searchable, paged ------------------------------------
  var STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'];
  function jobsView(queue, jobState, params) {
    var page = Number(params.get('page') || 0);
    var search = params.get('q') || '';
    var names = (state ? state.queues : []).map(function (x) { return x.name; });
    if (!queue) queue = names[0];
    if (!queue) { main.textContent = ''; append(main, h('section', null, h('h2', { text: 'Jobs' }), h('div', { class: 'empty', text: 'No queues yet.' }))); return { update: function () { if (state && state.queues.length) route(); } }; }
    function go(next) {
      var s = next.state || jobState, p = next.page === undefined ? page : next.page, qq = next.q === undefined ? search : next.q;
      location.hash = '#/jobs/' + encodeURIComponent(next.queue || queue) + '/' + s + (p || qq ? '?' + new URLSearchParams({ page: String(p), q: qq }).toString() : '');
    }
    var select = h('select', { id: 'queue-select', onchange: function () { go({ queue: select.value, page: 0 }); } });
    function fillSelect(list) {
      if (list.length === 0 || select.options.length === list.length) return;
      select.textContent = '';
      if (list.indexOf(queue) < 0) list = [queue].concat(list);
      list.forEach(function (n) { var o = h('option', { value: n, text: n }); if (n === queue) o.selected = true; select.appendChild(o); });
    }
    fillSelect(names.length ? names : [queue]);
    var tabs = h('div', { class: 'tabs' }, STATES.map(function (s) {
      return h('button', { class: s === jobState ? 'on' : '', 'data-state': s, text: s, onclick: function () { go({ state: s, page: 0 }); } });
    }));
    var input = h('input', { id: 'job-search', type: 'search', placeholder: 'job id, or part of a task name', value: search, size: 32,
      onkeydown: function (e) { if (e.key === 'Enter') go({ q: input.value, page: 0 }); } });
    var list = h('tbody');
    var info = h('div', { class: 'muted' });
    var pager = h('div', { class: 'toolbar' });
    main.textContent = '';
    append(main, h('section', { id: 'jobs' },
      h('h2', { text: 'Jobs' }),
      h('div', { class: 'toolbar' }, select, tabs, input, h('button', { text: 'Search', onclick: function () { go({ q: input.value, page: 0 }); } })),
      info,
      h('table', null, h('thead', null, h('tr', null, ['Job', 'Task', 'Created', 'Finished', 'Attempts', 'Arguments', jobState === 'failed' ? 'Error' : 'Result', ''].map(function (t) { return h('th', { text: t }); }))), list),
      pager));
    var lastCount = -1;
    function load() {
      getJson(q(queue) + '/jobs?' + new URLSearchParams({ state: jobState, page: String(page), size: '25', q: search }).toString()).then(function (r) {
        list.textContent = '';
        r.rows.forEach(function (row) {
          var href = '#/job/' + encodeURIComponent(queue) + '/' + encodeURIComponent(row.id);
          list.appendChild(h('tr', { 'data-job': row.id },
            h('td', null, h('a', { href: href, text: row.id })),
            h('td', { text: row.task }),
            h('td', { text: when(row.createdAt) }),
            h('td', { text: when(row.finishedAt) }),
            h('td', { class: 'num', text: row.attemptsMade }),
            h('td', { class: 'cell-preview', title: row.argsPreview, text: row.argsPreview + (row.argsBytes > row.argsPreview.length ? ' …' : '') }),
            h('td', { class: 'cell-preview', text: jobState === 'failed' ? shortError(row.errorPreview) : row.resultPreview }),
            h('td', null,
              (jobState === 'failed' || jobState === 'completed') ? h('button', { text: 'Retry', onclick: function () { post(q(queue) + '/jobs/' + encodeURIComponent(row.id) + '/retry').then(load); } }) : null,
              jobState !== 'active' ? h('button', { text: 'Remove', class: 'danger', onclick: function () { post(q(queue) + '/jobs/' + encodeURIComponent(row.id) + '/remove').then(load); } }) : null)));
        });
        var pages = Math.max(1, Math.ceil(r.total / r.size));
        info.textContent = r.searched !== undefined
          ? num(r.total) + ' match(es) among the newest ' + num(r.searched) + ' ' + jobState + ' jobs'
          : num(r.total) + ' ' + jobState + ' job(s)';
        pager.textContent = '';
        append(pager, [
          h('button', { text: 'Newer', disabled: page === 0 ? 'disabled' : null, onclick: function () { go({ page: page - 1 }); } }),
          h('span', { text: 'page ' + num(page + 1) + ' of ' + num(pages) }),
          h('button', { text: 'Older', disabled: page + 1 >= pages ? 'disabled' : null, onclick: function () { go({ page: page + 1 }); } })
        ]);
        if (r.rows.length === 0) list.appendChild(h('tr', null, h('td', { colspan: 8, class: 'empty', text: 'No jobs here.' })));
      }).catch(function (e) { info.textContent = e.message; });
    }
    load();
    return {
      update: function (s) {
        fillSelect(s.queues.map(function (x) { return x.name; }));
        var found = s.queues.filter(function (x) { return x.name === queue; })[0];
        Array.prototype.forEach.call(tabs.children, function (b) {
          var n = found ? found.counts[b.getAttribute('data-state')] : undefined;
          b.textContent = b.getAttribute('data-state') + (n === undefined ? '' : ' (' + num(n) + ')');
        });
        var count = found ? found.counts[jobState] : -1;
        if (count !== lastCount && lastCount !== -1) load();
        lastCount = count;
      }
    };
  }
  function shortError(reason) {
    var marker = 'taskmill-error:';
    if (reason.indexOf(marker) === 0) {
      var m = /"className":"([^"]*)"/.exec(reason) || /"name":"([^"]*)"/.exec(reason), msg = /"message":"((?:[^"\\]|\\.)*)"/.exec(reason);
      return (m ? m[1] : 'Error') + ': ' + (msg ? msg[1] : '');
    }
    return reason;
  }

  // ---- One job -----------------------------------------------------------------------------
  function jobPage(queue, id) {
    var base = q(queue) + '/jobs/' + encodeURIComponent(id);
    var body = h('div');
    var title = h('h2', { text: 'Job ' + id });
    main.textContent = '';
    append(main, h('section', { id: 'job' }, title,
      h('div', { class: 'toolbar' },
        h('a', { href: '#/jobs/' + encodeURIComponent(queue) + '/failed', text: '← jobs of ' + queue }),
        h('button', { id: 'job-retry', text: 'Retry', onclick: function () { post(base + '/retry').then(load); } }),
        h('button', { id: 'job-remove', class: 'danger', text: 'Remove', onclick: function () { post(base + '/remove').then(load); } })),
      body));
    function payload(label, part, shown) {
      return [h('h3', { text: label }),
        h('pre', { class: 'payload payload-' + part, text: shown.text }),
        shown.truncated ? h('div', { class: 'muted' }, 'Cut for display (' + num(shown.bytes) + ' bytes stored). ',
          h('a', { href: base + '/download?part=' + part, download: '', text: 'Download the whole ' + part })) : null];
    }
    function load() {
      getJson(base).then(function (j) {
        body.textContent = '';
        append(body, [
          h('div', { class: 'kv' },
            h('div', { class: 'k', text: 'State' }), h('div', { id: 'job-state' }, badge(j.state)),
            h('div', { class: 'k', text: 'Task' }), h('div', { id: 'job-task', text: j.task }),
            h('div', { class: 'k', text: 'Queue' }), h('div', { text: j.queue }),
            h('div', { class: 'k', text: 'Attempts' }), h('div', { text: j.attemptsMade + ' of ' + j.maxAttempts }),
            h('div', { class: 'k', text: 'Created' }), h('div', { text: when(j.createdAt) }),
            h('div', { class: 'k', text: 'Started' }), h('div', { text: when(j.startedAt) }),
            h('div', { class: 'k', text: 'Finished' }), h('div', { text: when(j.finishedAt) }),
            j.traceparent ? [h('div', { class: 'k', text: 'traceparent' }), h('div', { text: j.traceparent })] : null),
          payload(j.chunk ? 'Items (' + num(j.chunk.items) + ', one chunk of a map' + (j.chunk.spread ? ', each an argument list' : '') + ')' : 'Arguments', 'args', j.args),
          j.result ? payload('Result', 'result', j.result) : null,
          j.error ? [h('h3', { text: 'Error' }), h('div', { id: 'job-error' }, j.error.map(function (e, i) {
            return h('div', { class: 'error-link' },
              h('div', null, h('b', { text: (i === 0 ? '' : 'caused by ') + e.className }), e.code !== undefined ? h('span', { class: 'badge', text: String(e.code) }) : null, ' ', h('span', { text: e.message })),
              e.stack ? h('pre', { text: e.stack }) : null);
          })), h('a', { href: base + '/download?part=error', download: '', text: 'Download the error as JSON' })] : null,
          h('h3', { text: 'Attempts' }),
          j.attempts.length === 0 ? h('div', { class: 'empty', text: 'No attempts recorded yet.' }) :
            h('table', { id: 'job-attempts' }, h('thead', null, h('tr', null, ['#', 'Worker', 'Started', 'Finished', 'Took', 'Outcome', 'Error'].map(function (t) { return h('th', { text: t }); }))),
              h('tbody', null, j.attempts.map(function (a) {
                return h('tr', null, h('td', { text: a.attempt }), h('td', { text: a.worker }), h('td', { text: when(a.startedAt) }), h('td', { text: when(a.finishedAt) }),
                  h('td', { text: (a.finishedAt - a.startedAt) + ' ms' }), h('td', null, badge(a.outcome === 'completed' ? 'completed' : a.outcome === 'failed' ? 'failed' : 'delayed')), h('td', { text: a.error || '' }));
              }))),
          j.stacktrace.length > 1 ? [h('h3', { text: 'Stacks of earlier failed attempts' }), j.stacktrace.map(function (s) { return h('pre', { text: s }); })] : null
        ]);
      }).catch(function (e) { body.textContent = e.message; });
    }
    load();
    var last = '';
    var again;
    return {
      update: function (s) {
        var found = s.queues.filter(function (x) { return x.name === queue; })[0];
        var key = found ? JSON.stringify(found.counts) : '';
        // Reload on a change, and once more a second later: a worker writes its attempt records
        // in batches, just after the job's own state changes.
        if (key !== last && last !== '') { load(); clearTimeout(again); again = setTimeout(load, 1000); }
        last = key;
      }
    };
  }

  function route() {
    var hash = location.hash.replace(/^#/, '') || '/';
    var at = hash.indexOf('?');
    var path = at >= 0 ? hash.slice(0, at) : hash;
    var params = new URLSearchParams(at >= 0 ? hash.slice(at + 1) : '');
    var parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    document.getElementById('nav-overview').className = parts.length === 0 ? 'on' : '';
    document.getElementById('nav-jobs').className = parts[0] === 'jobs' || parts[0] === 'job' ? 'on' : '';
    if (parts[0] === 'jobs') view = jobsView(parts[1], STATES.indexOf(parts[2]) >= 0 ? parts[2] : 'failed', params);
    else if (parts[0] === 'job' && parts[1] && parts[2]) view = jobPage(parts[1], parts[2]);
    else view = overview();
    if (state) view.update(state);
  }

  window.addEventListener('hashchange', route);
  route();
  var source = new EventSource('/api/events');
  source.addEventListener('state', function (e) {
    state = JSON.parse(e.data);
    live.textContent = 'live · ' + new Date(state.at).toLocaleTimeString();
    live.className = 'live on';
    if (view) view.update(state);
  });
  source.onerror = function () { live.textContent = 'reconnecting'; live.className = 'live off'; };
})();
`;
