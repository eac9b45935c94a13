'use strict';

// squall dashboard: polls the server's read-only JSON API and renders it.
// Text from the API only ever reaches the page through textContent, so data
// is never parsed as HTML.

// Chicago, Miami and San Francisco: the cities every squall deployment
// watches, so they lead the default order and Chicago is charted first.
const REFERENCE_CITY_IDS = [4887398, 4164138, 5391959];

// The simulator's observation times lie in the past, so history is fetched by
// count rather than with `since`, which is relative to the wall clock.
const HISTORY_LIMIT = 500;
const WINDOW_LIMIT = 200;
const FETCH_TIMEOUT_MS = 5000;
const CHART_HEIGHT = 220;

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

const state = {
  latest: [],
  cityNames: new Map(),
  sort: null, // {key, dir: 1 | -1}; null keeps the default order
  selectedCityId: null,
  windowSize: '1h',
  windows: [],
  updates: 0,
  failures: new Map(), // source name -> last error message
};

// Exposed so the browser test (and a curious user's console) can inspect the
// uPlot instances and the data they hold.
const charts = {};
window.squallDashboard = { charts, state };

// ---------------------------------------------------------------- formatting

function isMissing(value) {
  return value === null || value === undefined || Number.isNaN(value);
}

function formatNumber(value, digits) {
  if (isMissing(value)) return '–';
  // A small negative value rounds to "-0.0", which reads like a sign error.
  const shown = Number(Number(value).toFixed(digits)) === 0 ? 0 : Number(value);
  return shown.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function formatRate(value) {
  return isMissing(value) ? '–' : `${formatNumber(value, 1)} obs/s`;
}

function formatMs(value) {
  return isMissing(value) ? '–' : `${formatNumber(value, 1)} ms`;
}

function formatUtc(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function formatDuration(seconds) {
  if (isMissing(seconds)) return '–';
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h ${m}m ${s}s`;
  return m ? `${m}m ${s}s` : `${s}s`;
}

function cityLabel(cityId) {
  return state.cityNames.get(cityId) ?? `city ${cityId}`;
}

// ----------------------------------------------------------------- DOM helpers

function byId(id) {
  return document.getElementById(id);
}

function setText(id, text) {
  byId(id).textContent = text;
}

function td(text, className) {
  const cell = document.createElement('td');
  cell.textContent = text;
  if (className) cell.className = className;
  return cell;
}

// ---------------------------------------------------------------- networking

async function fetchJson(path) {
  const response = await fetch(path, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(body?.error ?? `HTTP ${response.status}`);
  if (body === undefined) throw new Error(`${path} did not return JSON`);
  return body;
}

function renderStatus() {
  const status = byId('status');
  if (state.failures.size === 0) {
    status.hidden = true;
    return;
  }
  const sources = [...state.failures.keys()].join(', ');
  const [reason] = state.failures.values();
  status.textContent = `Could not refresh ${sources} just now (${reason}). ` +
    'Showing the last data received; retrying automatically.';
  status.hidden = false;
}

// Runs one refresh and records its outcome for the status line; it never
// rejects, so a failed request cannot stop the polling loop.
async function runTask(source, task) {
  try {
    await task();
    if (state.failures.delete(source)) renderStatus();
  } catch (error) {
    console.warn(`squall dashboard: ${source}:`, error);
    state.failures.set(source, error.message || String(error));
    renderStatus();
  }
}

// Schedules the next request only after the previous one finished, so a slow
// server never accumulates overlapping requests.
function poll(source, task, intervalMs) {
  const tick = async () => {
    await runTask(source, task);
    setTimeout(tick, intervalMs);
  };
  tick();
}

// -------------------------------------------------------------- latest table

const LATEST_COLUMNS = [
  { key: 'city', label: 'city' },
  { key: 'country', label: 'country' },
  { key: 'observed_at', label: 'observed at (UTC)', text: (o) => formatUtc(o.observed_at),
    sortValue: (o) => Date.parse(o.observed_at) },
  { key: 'temp_c', label: 'temp °C', digits: 1 },
  { key: 'feels_like_c', label: 'feels like °C', digits: 1 },
  { key: 'humidity_pct', label: 'humidity %', digits: 0 },
  { key: 'wind_speed_ms', label: 'wind m/s', digits: 1 },
  { key: 'wind_gust_ms', label: 'gust m/s', digits: 1 },
  { key: 'pressure_hpa', label: 'pressure hPa', digits: 0 },
  { key: 'condition', label: 'condition', text: describeCondition },
];

function describeCondition(o) {
  const parts = [o.condition, o.description].filter(Boolean);
  // Skip a description that only repeats the condition in lower case.
  if (parts.length === 2 && parts[0].toLowerCase() === parts[1].toLowerCase()) parts.pop();
  return parts.length ? parts.join(' — ') : '–';
}

function columnText(column, o) {
  if (column.text) return column.text(o);
  if (column.digits !== undefined) return formatNumber(o[column.key], column.digits);
  return isMissing(o[column.key]) ? '–' : String(o[column.key]);
}

function referenceRank(cityId) {
  const rank = REFERENCE_CITY_IDS.indexOf(cityId);
  return rank === -1 ? REFERENCE_CITY_IDS.length : rank;
}

function defaultOrder(a, b) {
  return referenceRank(a.city_id) - referenceRank(b.city_id) ||
    collator.compare(a.city ?? '', b.city ?? '') || a.city_id - b.city_id;
}

function sortedBy(column, dir) {
  const value = column.sortValue ?? ((o) => o[column.key]);
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    // Unknown values stay at the bottom whichever way the column is sorted.
    if (isMissing(va) || isMissing(vb)) return isMissing(va) - isMissing(vb) || a.city_id - b.city_id;
    const order = typeof va === 'string' ? collator.compare(va, vb) : va - vb;
    return order * dir || a.city_id - b.city_id;
  };
}

function buildLatestHeader() {
  const headerRow = document.querySelector('#latest-table thead tr');
  for (const column of LATEST_COLUMNS) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.col = column.key;
    if (column.digits !== undefined) th.className = 'num';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = column.label;
    button.addEventListener('click', () => toggleSort(column.key));
    th.append(button);
    headerRow.append(th);
  }
}

function toggleSort(key) {
  const dir = state.sort?.key === key ? -state.sort.dir : 1;
  state.sort = { key, dir };
  renderLatest();
}

function renderSortIndicators() {
  for (const th of document.querySelectorAll('#latest-table th[data-col]')) {
    if (state.sort?.key === th.dataset.col) {
      th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    } else {
      th.removeAttribute('aria-sort');
    }
  }
}

function latestRow(o) {
  const tr = document.createElement('tr');
  tr.dataset.cityId = String(o.city_id);
  tr.tabIndex = 0;
  tr.setAttribute('aria-selected', String(o.city_id === state.selectedCityId));
  for (const column of LATEST_COLUMNS) {
    const cell = td(columnText(column, o), column.digits !== undefined ? 'num' : '');
    cell.dataset.col = column.key;
    tr.append(cell);
  }
  return tr;
}

function renderLatest() {
  const column = LATEST_COLUMNS.find((c) => c.key === state.sort?.key);
  const rows = [...state.latest].sort(column ? sortedBy(column, state.sort.dir) : defaultOrder);
  const tbody = document.querySelector('#latest-table tbody');
  // Rows are rebuilt on every poll; keep keyboard focus on the same city.
  const focusedId = document.activeElement?.closest?.('#latest-table tbody tr')?.dataset.cityId;
  tbody.replaceChildren(...rows.map(latestRow));
  if (focusedId) tbody.querySelector(`tr[data-city-id="${CSS.escape(focusedId)}"]`)?.focus();
  byId('latest-empty').hidden = rows.length > 0;
  renderSortIndicators();
}

function defaultCityId() {
  const ids = state.latest.map((o) => o.city_id);
  if (ids.includes(REFERENCE_CITY_IDS[0])) return REFERENCE_CITY_IDS[0];
  return [...state.latest].sort(defaultOrder)[0].city_id;
}

async function refreshLatest() {
  state.latest = await fetchJson('/api/latest');
  state.cityNames = new Map(state.latest.map((o) => [o.city_id, o.city]));
  renderLatest();
  if (state.selectedCityId === null && state.latest.length > 0) {
    selectCity(defaultCityId());
  } else {
    renderCityTitles();
  }
}

function rowCityId(event) {
  const tr = event.target.closest('tr[data-city-id]');
  return tr ? Number(tr.dataset.cityId) : null;
}

function wireLatestTable() {
  const tbody = document.querySelector('#latest-table tbody');
  tbody.addEventListener('click', (event) => {
    const cityId = rowCityId(event);
    if (cityId !== null) selectCity(cityId);
  });
  tbody.addEventListener('keydown', (event) => {
    const cityId = rowCityId(event);
    if (cityId !== null && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      selectCity(cityId);
    }
  });
}

// ------------------------------------------------------------ city selection

function renderCityTitles() {
  const label = state.selectedCityId === null ? 'no city selected' : cityLabel(state.selectedCityId);
  setText('charts-city', label);
  setText('windows-city', label);
}

function selectCity(cityId) {
  if (cityId === state.selectedCityId) return;
  state.selectedCityId = cityId;
  for (const tr of document.querySelectorAll('#latest-table tbody tr')) {
    tr.setAttribute('aria-selected', String(Number(tr.dataset.cityId) === cityId));
  }
  renderCityTitles();
  // Clear the previous city's data so it is never shown under the new name.
  updateCharts([]);
  state.windows = [];
  renderWindows();
  runTask('city data', refreshCity);
}

async function refreshCity() {
  const cityId = state.selectedCityId;
  if (cityId === null) return;
  const [history, windows] = await Promise.all([
    fetchJson(`/api/history?city=${cityId}&limit=${HISTORY_LIMIT}`),
    fetchJson(`/api/windows?city=${cityId}&limit=${WINDOW_LIMIT}`),
  ]);
  // Another city may have been selected while these requests were in flight.
  if (cityId !== state.selectedCityId) return;
  updateCharts(history);
  state.windows = windows;
  renderWindows();
}

// -------------------------------------------------------------------- charts

const CHART_SPECS = {
  temperature: {
    id: 'chart-temperature',
    series: [
      { field: 'temp_c', label: 'temp °C', stroke: '#d94f3d' },
      { field: 'feels_like_c', label: 'feels like °C', stroke: '#e8a33d', dash: [6, 4] },
    ],
  },
  wind: {
    id: 'chart-wind',
    series: [
      { field: 'wind_speed_ms', label: 'speed m/s', stroke: '#2f6fb0' },
      { field: 'wind_gust_ms', label: 'gust m/s', stroke: '#6bb7c9', dash: [6, 4] },
    ],
  },
  humidity: {
    id: 'chart-humidity',
    range: [0, 100],
    series: [{ field: 'humidity_pct', label: 'humidity %', stroke: '#3f9b5a' }],
  },
};

function chartWidth(target) {
  return Math.max(240, Math.floor(target.clientWidth));
}

function createChart(spec) {
  const target = byId(spec.id);
  const options = {
    width: chartWidth(target),
    height: CHART_HEIGHT,
    // Axis labels in UTC, matching the tables, whatever the viewer's time zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: spec.range ? { y: { range: spec.range } } : {},
    series: [
      { label: 'time (UTC)' },
      ...spec.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, spanGaps: true })),
    ],
    axes: [{}, { size: 48 }],
  };
  const chart = new uPlot(options, chartData([], spec), target);
  new ResizeObserver(() => chart.setSize({ width: chartWidth(target), height: CHART_HEIGHT })).observe(target);
  return chart;
}

// uPlot wants columns: times in seconds ascending, then one array per series.
function chartData(observations, spec) {
  const points = observations
    .map((o) => ({ t: Date.parse(o.observed_at) / 1000, o }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  return [
    points.map((p) => p.t),
    ...spec.series.map((s) => points.map((p) => (isMissing(p.o[s.field]) ? null : p.o[s.field]))),
  ];
}

function createCharts() {
  // Without the vendored uPlot the tables and panels still work.
  if (typeof uPlot === 'undefined') {
    for (const spec of Object.values(CHART_SPECS)) {
      byId(spec.id).textContent = 'Charts unavailable: the chart library did not load.';
    }
    return;
  }
  for (const [name, spec] of Object.entries(CHART_SPECS)) charts[name] = createChart(spec);
}

function updateCharts(history) {
  for (const [name, chart] of Object.entries(charts)) chart.setData(chartData(history, CHART_SPECS[name]));
}

// ---------------------------------------------------------- window aggregates

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 };

function durationSeconds(text) {
  const match = /^(\d+)([smhd])$/.exec(text);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]] : Infinity;
}

function renderWindowOptions() {
  const sizes = [...new Set(state.windows.map((w) => w.window))]
    .sort((a, b) => durationSeconds(a) - durationSeconds(b) || a.localeCompare(b));
  if (sizes.length > 0 && !sizes.includes(state.windowSize)) state.windowSize = sizes[0];
  if (sizes.length === 0) sizes.push(state.windowSize);
  const select = byId('window-size');
  const current = [...select.options].map((option) => option.value);
  // Rebuilding an unchanged list would close the dropdown while a user has it open.
  if (current.join('\n') !== sizes.join('\n')) select.replaceChildren(...sizes.map((size) => new Option(size, size)));
  select.value = state.windowSize;
}

function windowRow(w) {
  const tr = document.createElement('tr');
  tr.className = w.final ? 'final' : 'open';
  tr.append(
    td(formatUtc(w.window_start)),
    td(formatUtc(w.window_end)),
    td(formatNumber(w.count, 0), 'num'),
    td(formatNumber(w.temp_min_c, 1), 'num'),
    td(formatNumber(w.temp_avg_c, 1), 'num'),
    td(formatNumber(w.temp_max_c, 1), 'num'),
    td(formatNumber(w.wind_max_ms, 1), 'num'),
    td(formatNumber(w.humidity_avg_pct, 0), 'num'),
    td(formatNumber(w.rain_mm, 1), 'num'),
    td(w.final ? 'final' : 'open'),
  );
  return tr;
}

function renderWindows() {
  renderWindowOptions();
  const rows = state.windows.filter((w) => w.window === state.windowSize);
  document.querySelector('#windows-table tbody').replaceChildren(...rows.map(windowRow));
  byId('windows-empty').hidden = rows.length > 0;
}

// -------------------------------------------------------------------- alerts

function activeAlertItem(alert) {
  const li = document.createElement('li');
  const city = document.createElement('strong');
  city.textContent = cityLabel(alert.city_id);
  const details = document.createElement('span');
  details.textContent = ` — ${alert.rule}: ${alert.condition} ` +
    `(value ${formatNumber(alert.value, 1)}, raised ${formatUtc(alert.observed_at)} UTC)`;
  li.append(city, details);
  return li;
}

// The sidebar is narrow: minutes are precise enough here, and the row's
// tooltip carries the exact time and the rule's condition.
function recentAlertRow(alert) {
  const tr = document.createElement('tr');
  const event = td(`${alert.rule} `);
  const stateWord = document.createElement('span');
  stateWord.textContent = alert.state;
  stateWord.className = alert.state === 'raised' ? 'alert-raised' : 'alert-cleared';
  event.append(stateWord);
  tr.append(
    td(formatUtc(alert.observed_at).slice(0, 16)),
    td(cityLabel(alert.city_id)),
    event,
    td(formatNumber(alert.value, 1), 'num'),
  );
  tr.title = `${formatUtc(alert.observed_at)} UTC: ${alert.condition ?? alert.rule}`;
  return tr;
}

async function refreshAlerts() {
  const { active = [], recent = [] } = await fetchJson('/api/alerts');
  byId('alerts-active').replaceChildren(...active.map(activeAlertItem));
  byId('alerts-none').hidden = active.length > 0;
  document.querySelector('#alerts-recent tbody').replaceChildren(...recent.map(recentAlertRow));
  byId('alerts-recent-empty').hidden = recent.length > 0;
}

// ------------------------------------------------------------------ pipeline

async function refreshPipeline() {
  const p = await fetchJson('/api/pipeline');
  setText('pipeline-produced', formatNumber(p.produced, 0));
  setText('pipeline-consumed', formatNumber(p.consumed, 0));
  setText('pipeline-stored', formatNumber(p.stored, 0));
  setText('pipeline-rate-produced', formatRate(p.rates?.produced_per_s));
  setText('pipeline-rate-consumed', formatRate(p.rates?.consumed_per_s));
  setText('pipeline-rate-stored', formatRate(p.rates?.stored_per_s));
  setText('pipeline-lag', formatNumber(p.lag, 0));
  setText('pipeline-dead-letters', formatNumber(p.dead_letters, 0));
  setText('pipeline-late-records', formatNumber(p.late_records, 0));
  setText('pipeline-duplicates', formatNumber(p.duplicates, 0));
  setText('pipeline-alerts', formatNumber(p.alerts, 0));
  setText('pipeline-latency-p50', formatMs(p.latency_ms?.p50));
  setText('pipeline-latency-p95', formatMs(p.latency_ms?.p95));
  setText('pipeline-latency-p99', formatMs(p.latency_ms?.p99));
  setText('pipeline-latency-max', formatMs(p.latency_ms?.max));
  setText('pipeline-backends', `log: ${p.log ?? '–'}, store: ${p.store ?? '–'}` +
    (p.in_process ? ' (in-process)' : ''));
  setText('pipeline-uptime', formatDuration(p.uptime_s));
  setText('pipeline-time', p.time ? `${formatUtc(p.time)} UTC` : '–');
  setText('last-update', `last update ${new Date().toLocaleTimeString()}`);
  state.updates += 1;
  document.body.dataset.updates = String(state.updates);
}

// --------------------------------------------------------------------- start

function start() {
  buildLatestHeader();
  wireLatestTable();
  byId('window-size').addEventListener('change', (event) => {
    state.windowSize = event.target.value;
    renderWindows();
  });
  createCharts();
  poll('pipeline', refreshPipeline, 1000);
  poll('latest weather', refreshLatest, 2000);
  poll('city data', refreshCity, 3000);
  poll('alerts', refreshAlerts, 3000);
}

start();
