// The campaigns page. Every call to the server goes through `request` below.

const SIGN_IN = `/inbox/login?next=${encodeURIComponent('/campaigns')}`;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The signed-in staff member and the CSRF token of their session, asked for once. */
let session = null;

async function signedIn() {
  session ??= fetch('/api/inbox/me', { credentials: 'same-origin' }).then(async (response) => {
    if (response.status === 401) return signInAgain();
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    return response.json();
  });
  return session.catch((error) => {
    session = null;
    throw error;
  });
}

/** The session ended or never existed: off to sign-in, and back here afterwards. */
function signInAgain() {
  location.assign(SIGN_IN);
  // Nothing after this should run while the browser leaves the page.
  return new Promise(() => {});
}

/**
 * The one door to the API: the staff session's cookie, and its CSRF token on every write.
 */
async function request(path, { method = 'GET', body, as = 'json' } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE_METHODS.has(method)) headers['X-CSRF-Token'] = (await signedIn()).csrfToken;
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 401) return signInAgain();
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new Error(problem?.error?.message ?? `The server answered ${response.status}`);
  }
  if (as === 'blob') return response.blob();
  if (as === 'text') return response.text();
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Builds an element; strings become text nodes, never HTML. */
function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'rect', 'text', 'g', 'line', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat(undefined);
const money = (minor, currency) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100);
const toMinor = (text) => {
  const value = Number(String(text).replace(',', '.'));
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 100) : null;
};

function showError(form, error) {
  const box = form.querySelector('.error');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------------------------------------
// Campaigns

const state = { campaigns: [], selected: null, templates: [], broadcast: null, preview: null, timer: null };

async function loadCampaigns() {
  const { campaigns } = await request('/campaigns');
  state.campaigns = campaigns;
  const list = $('campaign-list');
  list.replaceChildren(
    ...campaigns.map((campaign) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'campaign-item',
            'data-id': campaign.id,
            'aria-current': state.selected === campaign.id ? 'true' : undefined,
            onclick: () => selectCampaign(campaign.id),
          },
          h('strong', { text: campaign.name }),
          h('span', {
            class: 'muted small',
            text: [
              campaign.refCode && `ref ${campaign.refCode}`,
              campaign.adIds.length && `${campaign.adIds.length} ad(s)`,
            ]
              .filter(Boolean)
              .join(' · '),
          }),
        ),
      ),
    ),
  );
  $('campaign-empty').hidden = campaigns.length > 0;
  $('audience-campaign').replaceChildren(
    h('option', { value: '', text: 'Any' }),
    ...campaigns.map((c) => h('option', { value: c.id, text: c.name })),
  );
}

async function selectCampaign(id) {
  state.selected = id;
  const campaign = state.campaigns.find((c) => c.id === id);
  if (!campaign) return;
  for (const item of document.querySelectorAll('.campaign-item'))
    item.toggleAttribute('aria-current', item.dataset.id === id);
  $('campaign-detail').hidden = false;
  $('detail-title').textContent = campaign.name;
  $('detail-meta').textContent = [
    `Entry flow: ${campaign.entryFlow}`,
    campaign.adIds.length ? `Ads: ${campaign.adIds.join(', ')}` : null,
    campaign.welcomeText ? `Welcome: “${campaign.welcomeText}”` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const links = campaign.links;
  $('link-box').hidden = !links;
  $('qr').hidden = !links;
  if (links) {
    $('tracked-link').href = links.tracked;
    $('tracked-link').textContent = links.tracked;
    $('prefill').textContent = links.prefilledText;
    const svg = await request(`/campaigns/${id}/qr.svg`, { as: 'blob' });
    $('qr').src = URL.createObjectURL(svg);
  }
  const costForm = $('cost-form');
  costForm.amount.value = campaign.costAmount === null ? '' : (campaign.costAmount / 100).toFixed(2);
  costForm.currency.value = campaign.costCurrency ?? '';
  await loadFunnel();
}

async function loadFunnel() {
  const { funnel } = await request(`/campaigns/${state.selected}/funnel`);
  drawFunnel(funnel);
  drawDaily(funnel);
  $('funnel-table').tBodies[0].replaceChildren(
    ...funnel.days.map((day) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row', text: day.day }),
        ...['clicks', 'firstMessages', 'engaged', 'cart', 'paymentRequested', 'paid'].map((k) =>
          h('td', { text: numberFormat.format(day[k]) }),
        ),
        h('td', { text: money(day.revenue, funnel.currency) }),
      ),
    ),
  );
  $('roas').textContent = funnel.cost
    ? `Spend ${money(funnel.cost.amount, funnel.cost.currency)} · revenue ${money(funnel.totals.revenue, funnel.currency)}` +
      (funnel.revenuePerSpend === null
        ? ''
        : ` · ${funnel.revenuePerSpend.toFixed(2)} of revenue per 1 spent`)
    : 'Enter the spend to see revenue per unit of spend.';
  const capi = funnel.capi;
  $('capi-status').textContent =
    capi.sent + capi.queued + capi.failed === 0
      ? 'Conversions API: no events for this campaign.'
      : `Conversions API: ${capi.sent} sent, ${capi.queued} queued, ${capi.failed} failed` +
        (capi.lastErrors[0] ? ` (last problem: ${capi.lastErrors[0].error})` : '');
}

const STAGES = [
  ['clicks', 'Clicks'],
  ['firstMessages', 'First message'],
  ['engaged', 'Engaged'],
  ['cart', 'Quote / cart'],
  ['paymentRequested', 'Payment requested'],
  ['paid', 'Paid'],
];

/** Horizontal bars, one per stage, with the share kept from the stage before. */
function drawFunnel(funnel) {
  const width = 640;
  const row = 34;
  const label = 150;
  const max = Math.max(1, ...STAGES.map(([key]) => funnel.totals[key]));
  const height = row * STAGES.length + 40;
  const svg = h('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': 'funnel-svg-title',
    class: 'funnel-svg',
  });
  svg.append(h('title', { id: 'funnel-svg-title', text: 'Campaign funnel' }));
  STAGES.forEach(([key, name], index) => {
    const value = funnel.totals[key];
    const previous = index > 0 ? funnel.totals[STAGES[index - 1][0]] : null;
    const barWidth = Math.max(2, ((width - label - 120) * value) / max);
    const y = index * row + 6;
    const share = previous ? ` (${Math.round((value / previous) * 100)}%)` : '';
    svg.append(
      h(
        'g',
        { 'data-stage': key },
        h('text', { x: label - 8, y: y + 17, 'text-anchor': 'end', class: 'label', text: name }),
        h('rect', { x: label, y, width: barWidth, height: row - 10, rx: 4, class: `bar-${index}` }),
        h('text', {
          x: label + barWidth + 8,
          y: y + 17,
          class: 'value',
          text: `${numberFormat.format(value)}${share}`,
        }),
      ),
    );
  });
  svg.append(
    h('text', {
      x: label,
      y: height - 8,
      class: 'revenue',
      text: `Revenue ${money(funnel.totals.revenue, funnel.currency)} (refunds deducted)`,
    }),
  );
  $('funnel-chart').replaceChildren(svg);
}

/** First messages and paid conversations per day, as paired columns. */
function drawDaily(funnel) {
  const days = funnel.days;
  if (days.length === 0) {
    $('daily-chart').replaceChildren(h('p', { class: 'muted', text: 'No activity yet.' }));
    return;
  }
  const width = 640;
  const height = 160;
  const max = Math.max(1, ...days.map((d) => Math.max(d.firstMessages, d.clicks)));
  const slot = Math.min(80, (width - 20) / days.length);
  const svg = h('svg', {
    viewBox: `0 0 ${width} ${height + 30}`,
    role: 'img',
    'aria-label': 'Funnel by day',
    class: 'daily-svg',
  });
  days.forEach((day, i) => {
    const x = 10 + i * slot;
    const bar = (value, offset, cls, what) => {
      const barHeight = (height * value) / max;
      return h(
        'rect',
        { x: x + offset, y: height - barHeight, width: slot / 4, height: barHeight, class: cls },
        h('title', { text: `${day.day}: ${value} ${what}` }),
      );
    };
    svg.append(
      bar(day.clicks, 0, 'bar-0', 'clicks'),
      bar(day.firstMessages, slot / 4, 'bar-1', 'first messages'),
      bar(day.paid, slot / 2, 'bar-5', 'paid'),
      h('text', {
        x: x + slot / 3,
        y: height + 18,
        'text-anchor': 'middle',
        class: 'label small',
        text: day.day.slice(5),
      }),
    );
  });
  $('daily-chart').replaceChildren(
    svg,
    h(
      'p',
      { class: 'legend muted small' },
      h('span', { class: 'swatch bar-0' }),
      ' clicks ',
      h('span', { class: 'swatch bar-1' }),
      ' first messages ',
      h('span', { class: 'swatch bar-5' }),
      ' paid',
    ),
  );
}

async function createCampaign(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  const text = (name) => String(data.get(name) ?? '').trim();
  const costAmount = text('costAmount');
  const body = {
    name: text('name'),
    entryFlow: text('entryFlow'),
    ...(text('refCode') ? { refCode: text('refCode') } : {}),
    adIds: text('adIds')
      .split(/[\s,]+/)
      .filter(Boolean),
    welcomeText: text('welcomeText') || null,
    prefillText: text('prefillText') || null,
    cost: costAmount
      ? { amount: toMinor(costAmount) ?? -1, currency: text('costCurrency').toUpperCase() }
      : null,
  };
  try {
    const { campaign } = await request('/campaigns', { method: 'POST', body });
    showError(form, null);
    form.reset();
    await loadCampaigns();
    await selectCampaign(campaign.id);
  } catch (error) {
    showError(form, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasts

function renderVariables() {
  const template = state.templates.find((t) => t.name === $('template-select').value);
  const box = $('variables');
  if (!template) return box.replaceChildren();
  const [language, { body }] = Object.entries(template.languages)[0];
  $('template-body').textContent =
    `${template.category} · ${Object.keys(template.languages).join(', ')} · “${body}” (${language})`;
  box.replaceChildren(
    ...template.variables.map((name, index) =>
      h(
        'fieldset',
        { class: 'row variable', 'data-variable': name },
        h('legend', { text: `{{${index + 1}}} ${name}` }),
        h(
          'label',
          {},
          'Value from ',
          h(
            'select',
            { name: `var-kind-${name}` },
            h('option', { value: 'field', text: 'a contact field or CSV column', selected: name === 'name' }),
            h('option', { value: 'text', text: 'this text', selected: name !== 'name' }),
          ),
        ),
        h(
          'label',
          {},
          'Field / text ',
          h('input', { name: `var-value-${name}`, value: name === 'name' ? 'name' : '' }),
        ),
        h('label', {}, 'Fallback ', h('input', { name: `var-fallback-${name}`, placeholder: 'there' })),
      ),
    ),
  );
}

async function readBroadcastForm(form) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) ?? '').trim();
  const template = state.templates.find((t) => t.name === text('template'));
  const variables = {};
  for (const name of template?.variables ?? []) {
    const value = text(`var-value-${name}`);
    variables[name] =
      text(`var-kind-${name}`) === 'text'
        ? { text: value }
        : {
            field: value,
            ...(text(`var-fallback-${name}`) ? { fallback: text(`var-fallback-${name}`) } : {}),
          };
  }
  let audience;
  if (text('audienceType') === 'csv') {
    const file = data.get('csvFile');
    if (!(file instanceof File) || file.size === 0) throw new Error('Choose a CSV file to import');
    audience = {
      type: 'csv',
      csv: await file.text(),
      ...(text('consentWording')
        ? { consent: { wording: text('consentWording'), source: text('consentSource') || 'import' } }
        : {}),
    };
  } else {
    const languages = text('languages')
      .split(/[\s,]+/)
      .filter(Boolean);
    audience = {
      type: 'contacts',
      ...(text('audienceCampaign') ? { campaignId: text('audienceCampaign') } : {}),
      ...(languages.length ? { languages } : {}),
      ...(text('purchasedWithinDays') ? { purchasedWithinDays: Number(text('purchasedWithinDays')) } : {}),
    };
  }
  return {
    name: text('name'),
    template: text('template'),
    variables,
    audience,
    frequencyCapHours: Number(text('frequencyCapHours') || 0),
    ...(state.selected ? { campaignId: state.selected } : {}),
  };
}

const REASONS = {
  invalid_number: 'Invalid number',
  duplicate: 'Duplicate',
  opted_out: 'Opted out',
  no_consent: 'No recorded opt-in',
  frequency_capped: 'Messaged recently (frequency cap)',
  missing_variable: 'Missing a variable value',
  missing_phone: 'No phone number',
};

async function dryRun(event) {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const result = await request('/broadcasts', { method: 'POST', body: await readBroadcastForm(form) });
    showError(form, null);
    state.broadcast = result.broadcast;
    state.preview = result.preview;
    renderPreview(result.preview);
  } catch (error) {
    showError(form, error);
  }
}

function renderPreview(preview) {
  $('preview').hidden = false;
  $('progress').hidden = true;
  $('preview-count').textContent =
    `${numberFormat.format(preview.willReceive)} of ${numberFormat.format(preview.candidates)} will receive it`;
  $('exclusions').tBodies[0].replaceChildren(
    ...Object.entries(preview.excluded).map(([reason, count]) =>
      h(
        'tr',
        { 'data-reason': reason },
        h('th', { scope: 'row', text: REASONS[reason] ?? reason }),
        h('td', { text: count }),
      ),
    ),
  );
  const report = preview.csv;
  $('csv-report').replaceChildren(
    ...(report
      ? [
          h('p', {
            text: `CSV: ${report.rows} rows, ${report.accepted} accepted, ${report.problemCount} with a problem.`,
          }),
          h(
            'ul',
            { class: 'muted small' },
            ...report.problems.map((p) =>
              h('li', {
                text: `Row ${p.row}: ${REASONS[p.reason] ?? p.reason}${p.value ? ` (${p.value})` : ''}`,
              }),
            ),
          ),
        ]
      : []),
  );
  $('samples').replaceChildren(
    ...preview.samples.map((s) => h('li', {}, h('span', { class: 'tag', text: s.language }), ' ', s.text)),
  );
  $('confirm-label').textContent =
    `I confirm sending this broadcast to ${numberFormat.format(preview.willReceive)} recipients`;
  $('confirm-check').checked = false;
  $('confirm-send').disabled = true;
  $('confirm-error').hidden = true;
}

async function confirmSend() {
  try {
    const { broadcast } = await request(`/broadcasts/${state.broadcast.id}/confirm`, {
      method: 'POST',
      body: { expectedRecipients: state.preview.willReceive },
    });
    state.broadcast = broadcast;
    state.failedShown = 0;
    $('failed-recipients').hidden = true;
    $('preview').hidden = true;
    $('progress').hidden = false;
    pollProgress();
  } catch (error) {
    $('confirm-error').textContent = error.message;
    $('confirm-error').hidden = false;
  }
}

const STATUS_LABELS = {
  waiting: 'Waiting',
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  replied: 'Replied',
  failed: 'Failed',
  cancelled: 'Cancelled',
  excluded: 'Excluded',
};

async function pollProgress() {
  clearTimeout(state.timer);
  const { broadcast, progress } = await request(`/broadcasts/${state.broadcast.id}`);
  state.broadcast = broadcast;
  const counts = progress.byStatus;
  const target = progress.total - counts.excluded;
  const done =
    counts.sent + counts.delivered + counts.read + counts.replied + counts.failed + counts.cancelled;
  const percent = target === 0 ? 100 : Math.round((done / target) * 100);
  $('progress-bar').setAttribute('aria-valuenow', String(percent));
  $('progress-bar').querySelector('span').style.width = `${percent}%`;
  $('progress-title').textContent =
    {
      sending: `Sending… ${percent}%`,
      paused: `Paused at ${percent}%`,
      done: 'Finished',
      cancelled: 'Cancelled',
      draft: 'Draft',
    }[broadcast.status] ?? broadcast.status;
  $('progress-counts').replaceChildren(
    ...Object.entries(STATUS_LABELS).map(([key, label]) =>
      h(
        'div',
        {},
        h('dt', { text: label }),
        h('dd', { 'data-status': key, text: numberFormat.format(counts[key]) }),
      ),
    ),
  );
  $('progress-failures').replaceChildren(
    ...progress.failures.map((f) =>
      h('li', { text: `${f.count} × ${f.code ? `${f.code} ` : ''}${f.reason}` }),
    ),
  );
  if (counts.failed > 0 && counts.failed !== state.failedShown) {
    state.failedShown = counts.failed;
    const { recipients } = await request(`/broadcasts/${broadcast.id}/recipients?status=failed&limit=50`);
    $('failed-recipients').hidden = false;
    $('failed-recipients').tBodies[0].replaceChildren(
      ...recipients.map((r) =>
        h(
          'tr',
          {},
          h('td', { text: `+${r.waId}` }),
          h('td', { text: r.name ?? '' }),
          h('td', { text: r.reason ?? '' }),
        ),
      ),
    );
  }
  $('pause').hidden = broadcast.status !== 'sending';
  $('resume').hidden = broadcast.status !== 'paused';
  $('cancel').hidden = !['sending', 'paused'].includes(broadcast.status);
  if (broadcast.status === 'sending' || broadcast.status === 'paused')
    state.timer = setTimeout(() => pollProgress().catch(() => undefined), 1000);
  else if (state.selected) loadFunnel().catch(() => undefined);
}

async function control(action) {
  await request(`/broadcasts/${state.broadcast.id}/${action}`, { method: 'POST' });
  await pollProgress();
}

// ---------------------------------------------------------------------------------------------

async function start() {
  const { user } = await signedIn();
  $('me-name').textContent = user.name || user.email;
  $('sign-out').addEventListener('click', async () => {
    await fetch('/inbox/logout', {
      method: 'POST',
      headers: { 'X-CSRF-Token': (await signedIn()).csrfToken },
    });
    location.assign(SIGN_IN);
  });
  const [{ flows }, { templates }] = await Promise.all([request('/flows'), request('/templates')]);
  $('flow-select').replaceChildren(
    ...flows.map((f) => h('option', { value: f.id, text: f.id, selected: f.id === 'main' })),
  );
  state.templates = templates.filter((t) => t.category === 'marketing' || t.category === 'utility');
  $('template-select').replaceChildren(
    ...state.templates.map((t) => h('option', { value: t.name, text: t.name })),
  );
  renderVariables();
  await loadCampaigns();

  $('campaign-form').addEventListener('submit', createCampaign);
  $('template-select').addEventListener('change', renderVariables);
  $('broadcast-form').addEventListener('submit', dryRun);
  $('broadcast-form').addEventListener('change', (event) => {
    if (event.target.name !== 'audienceType') return;
    document.querySelector('.audience-csv').hidden = event.target.value !== 'csv';
    document.querySelector('.audience-contacts').hidden = event.target.value !== 'contacts';
  });
  $('confirm-check').addEventListener('change', (e) => ($('confirm-send').disabled = !e.target.checked));
  $('confirm-send').addEventListener('click', confirmSend);
  $('pause').addEventListener('click', () => control('pause'));
  $('resume').addEventListener('click', () => control('resume'));
  $('cancel').addEventListener('click', () => control('cancel'));
  $('copy-link').addEventListener('click', () => navigator.clipboard?.writeText($('tracked-link').href));
  const campaign = () => state.campaigns.find((c) => c.id === state.selected);
  const fileName = (ext) => `${(campaign()?.refCode ?? 'campaign').toLowerCase()}-qr.${ext}`;
  $('download-png').addEventListener('click', async () =>
    save(await request(`/campaigns/${state.selected}/qr.png`, { as: 'blob' }), fileName('png')),
  );
  $('download-svg').addEventListener('click', async () =>
    save(await request(`/campaigns/${state.selected}/qr.svg`, { as: 'blob' }), fileName('svg')),
  );
  $('export-csv').addEventListener('click', async () =>
    save(
      new Blob([await request(`/campaigns/${state.selected}/funnel.csv`, { as: 'text' })], {
        type: 'text/csv',
      }),
      'funnel.csv',
    ),
  );
  $('export-json').addEventListener('click', async () => {
    const { funnel } = await request(`/campaigns/${state.selected}/funnel`);
    save(new Blob([JSON.stringify(funnel, null, 2)], { type: 'application/json' }), 'funnel.json');
  });
  $('cost-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const amount = form.amount.value.trim();
    await request(`/campaigns/${state.selected}`, {
      method: 'PATCH',
      body: {
        cost: amount
          ? { amount: toMinor(amount) ?? -1, currency: form.currency.value.trim().toUpperCase() }
          : null,
      },
    });
    await loadCampaigns();
    await loadFunnel();
  });
}

start().catch((error) => {
  document.querySelector('main').prepend(h('p', { class: 'error', role: 'alert', text: error.message }));
});
