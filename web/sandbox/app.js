// The sandbox phone: chats with the server as a WhatsApp customer would. Plain browser JS, no
// build step. Message text only ever reaches the page through textContent and text nodes.

const PHONE_KEY = 'wa-sandbox.phone';
const DEFAULT_PHONE = '393331234567';
const PHONE_PATTERN = /^\d{6,15}$/;
const TYPING_MS = 25_000;
const STATUS_RANK = { pending: 0, accepted: 1, sent: 2, delivered: 3, read: 4 };
const STATUS_LABEL = {
  pending: 'Sending',
  accepted: 'Sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};

const el = {
  app: document.getElementById('phone-app'),
  header: document.getElementById('chat-header'),
  avatar: document.getElementById('avatar'),
  name: document.getElementById('business-name'),
  presence: document.getElementById('business-status'),
  customerForm: document.getElementById('customer-form'),
  phone: document.getElementById('phone'),
  phoneError: document.getElementById('phone-error'),
  newCustomer: document.getElementById('new-customer'),
  chat: document.getElementById('chat'),
  list: document.getElementById('messages'),
  composer: document.getElementById('composer'),
  text: document.getElementById('text'),
  sheet: document.getElementById('sheet'),
  sheetTitle: document.getElementById('sheet-title'),
  sheetBody: document.getElementById('sheet-body'),
  sheetClose: document.getElementById('sheet-close'),
};

const state = {
  business: { name: 'Business' },
  phone: '',
  /** @type {Map<string, any>} id → chat item */
  items: new Map(),
  /** @type {string[]} ids in display order */
  order: [],
  /** @type {Map<string, HTMLElement>} */
  nodes: new Map(),
  /** @type {EventSource | null} */
  source: null,
  /** Bumped on every phone switch, so answers for the previous phone are dropped. */
  generation: 0,
  localSeq: 0,
  reported: new Set(),
  onScreen: new Set(),
  typingTimer: 0,
  connected: false,
  /** The history has been loaded once for this phone (until then, no "say hello" hint). */
  loaded: false,
  sheetReturnFocus: null,
};

// ------------------------------------------------------------------------------------------
// Server calls
// ------------------------------------------------------------------------------------------

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data?.error?.message ?? `The server answered ${response.status}`);
  return data;
}

const query = (phone) => `phone=${encodeURIComponent(phone)}`;

// ------------------------------------------------------------------------------------------
// Connection: live stream first, then the history, so nothing falls between the two
// ------------------------------------------------------------------------------------------

function connect() {
  state.source?.close();
  const generation = ++state.generation;
  state.items.clear();
  state.order = [];
  state.reported.clear();
  state.onScreen.clear();
  state.connected = false;
  state.loaded = false;
  renderAll();
  setPresence();

  const source = new EventSource(`api/stream?${query(state.phone)}`);
  state.source = source;
  const live = (handler) => (event) => {
    if (generation !== state.generation) return;
    try {
      handler(JSON.parse(event.data));
    } catch (error) {
      console.error('Could not read a stream event', error);
    }
  };
  source.addEventListener('open', () => {
    if (generation !== state.generation) return;
    state.connected = true;
    setPresence();
    // Also after a reconnect: whatever happened while the stream was down is in the history.
    void loadHistory(generation);
  });
  source.addEventListener('error', () => {
    if (generation !== state.generation) return;
    state.connected = false;
    setPresence();
  });
  source.addEventListener(
    'message',
    live((item) => {
      if (item.direction === 'out') stopTyping();
      // This page's own message can arrive here before the answer to its send does.
      const local = item.direction === 'in' && !state.items.has(item.id) ? pendingTwin(item) : undefined;
      if (local) {
        rekey(local.id, item.id);
        setStatus(item.id, item.status);
      } else {
        upsert(item);
      }
    }),
  );
  source.addEventListener(
    'status',
    live((update) => setStatus(update.id, update.status)),
  );
  source.addEventListener(
    'typing',
    live(() => startTyping()),
  );
}

async function loadHistory(generation) {
  let history;
  try {
    history = await api(`api/history?${query(state.phone)}`);
  } catch (error) {
    if (generation === state.generation) setPresence(`Could not load the chat: ${error.message}`);
    return;
  }
  if (generation !== state.generation) return;
  const order = [];
  for (const item of history.messages) {
    const known = state.items.get(item.id);
    if (known && rank(known.status) > rank(item.status)) item.status = known.status;
    state.items.set(item.id, item);
    order.push(item.id);
  }
  const seen = new Set(order);
  // Messages still being sent, or already streamed but not yet in the transcript.
  for (const id of state.order) if (!seen.has(id) && state.items.has(id)) order.push(id);
  state.order = order;
  state.loaded = true;
  renderAll();
}

// ------------------------------------------------------------------------------------------
// The chat model
// ------------------------------------------------------------------------------------------

const rank = (status) => STATUS_RANK[status] ?? -1;

function upsert(item) {
  if (state.items.has(item.id)) {
    const known = state.items.get(item.id);
    if (rank(item.status) < rank(known.status)) item.status = known.status;
    state.items.set(item.id, item);
    replaceNode(item.id);
    return;
  }
  state.items.set(item.id, item);
  state.order.push(item.id);
  appendNode(item, true);
}

function setStatus(id, status) {
  const item = state.items.get(id);
  if (!item || item.status === status) return;
  if (status !== 'failed' && (item.status === 'failed' || rank(status) < rank(item.status))) return;
  item.status = status;
  const node = state.nodes.get(id);
  if (!node) return;
  node.dataset.status = status;
  const ticks = node.querySelector('.meta .ticks');
  if (ticks) ticks.replaceWith(renderTicks(status));
}

/** A message of this page still waiting for its wamid that says the same as `item`. */
function pendingTwin(item) {
  const text = customerText(item);
  for (const id of state.order) {
    const candidate = state.items.get(id);
    if (candidate?.wamid === null && candidate.status === 'pending' && customerText(candidate) === text) {
      return candidate;
    }
  }
  return undefined;
}

/** A local message got its wamid: it is the same message from now on. */
function rekey(oldId, newId) {
  const item = state.items.get(oldId);
  state.items.delete(oldId);
  const node = state.nodes.get(oldId);
  state.nodes.delete(oldId);
  if (!item || state.items.has(newId)) {
    // The history already brought it back.
    state.order = state.order.filter((id) => id !== oldId);
    node?.remove();
    return state.items.get(newId);
  }
  item.id = newId;
  item.wamid = newId;
  state.items.set(newId, item);
  state.order = state.order.map((id) => (id === oldId ? newId : id));
  if (node) {
    node.dataset.id = newId;
    state.nodes.set(newId, node);
  }
  return item;
}

// ------------------------------------------------------------------------------------------
// Sending as the customer
// ------------------------------------------------------------------------------------------

async function send(payload, preview) {
  const generation = state.generation;
  const phone = state.phone;
  const item = {
    id: `local-${++state.localSeq}`,
    wamid: null,
    direction: 'in',
    type: preview.type,
    content: preview.content,
    status: 'pending',
    at: new Date().toISOString(),
    retry: () => send(payload, preview),
  };
  upsert(item);
  scrollToEnd();
  try {
    const answer = await api('api/send', { phone, ...payload });
    if (generation !== state.generation) return;
    const sent = item.id === answer.wamid ? item : rekey(item.id, answer.wamid);
    sent.at = answer.at;
    setStatus(sent.id, 'accepted');
  } catch (error) {
    if (generation !== state.generation) return;
    item.status = 'failed';
    item.error = error.message;
    replaceNode(item.id);
  }
}

function sendText(text) {
  if (text.trim() === '') return;
  void send({ text }, { type: 'text', content: { type: 'text', text: { body: text } } });
}

function sendReply(reply, contextWamid) {
  const kind = reply.kind === 'list' ? 'list_reply' : 'button_reply';
  void send(
    { reply: { id: reply.id, title: reply.title, kind: reply.kind } },
    {
      type: 'interactive',
      content: {
        type: 'interactive',
        ...(contextWamid ? { context: { id: contextWamid } } : {}),
        interactive: { type: kind, [kind]: { id: reply.id, title: reply.title } },
      },
    },
  );
}

// ------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function icon(paths, viewBox = '0 0 24 24', className = 'icon') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', viewBox);
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

const ICONS = {
  check: ['M3 5.2 6.6 9 13 1.6'],
  double: ['M1 5.2 4.6 9 11 1.6', 'M7.6 7.3 9.2 9 15.6 1.6'],
  clock: ['M8 1.6a6.4 6.4 0 1 0 0 12.8A6.4 6.4 0 0 0 8 1.6Z', 'M8 4.4V8l2.4 1.6'],
  failed: ['M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13Z', 'M8 4.6v4.2', 'M8 11.2v.1'],
  reply: ['M10 8V4.5L3.5 11 10 17.5V14c4.4 0 7.5 1.4 10 4.7-1-4.8-4-9.6-10-10.7Z'],
  list: ['M4 6.5h1.5M8.5 6.5H20M4 12h1.5M8.5 12H20M4 17.5h1.5M8.5 17.5H20'],
  external: ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5'],
  template: ['M6 3h9l4 4v14H6z', 'M14.5 3v4.5H19', 'M9 12h7M9 16h5'],
};

function renderTicks(status) {
  const label = STATUS_LABEL[status] ?? status;
  let svg;
  if (status === 'pending') svg = icon(ICONS.clock, '0 0 16 16', 'tick-icon clock');
  else if (status === 'failed') svg = icon(ICONS.failed, '0 0 16 16', 'tick-icon failed');
  else if (status === 'delivered' || status === 'read') svg = icon(ICONS.double, '0 0 17 11', 'tick-icon');
  else svg = icon(ICONS.check, '0 0 17 11', 'tick-icon');
  return h('span', { class: `ticks ticks-${status}`, role: 'img', 'aria-label': label, title: label }, svg);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date();
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return 'Today';
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return dayFormat.format(date);
}

/** WhatsApp's inline formatting (*bold*, _italic_, ~strike~, ```mono```) and links, as DOM nodes. */
function richText(text) {
  const fragment = document.createDocumentFragment();
  const pattern =
    /```([\s\S]+?)```|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])|(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])|\bhttps?:\/\/[^\s<>"]+/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    let [whole] = match;
    let trailing = '';
    if (whole.startsWith('http')) {
      // A sentence's punctuation is not part of the link.
      const cut = /[.,;:!?)\]'"]+$/.exec(whole);
      if (cut) {
        trailing = cut[0];
        whole = whole.slice(0, -trailing.length);
      }
    }
    fragment.append(text.slice(last, match.index));
    if (match[1] !== undefined) fragment.append(h('code', { text: match[1] }));
    else if (match[2] !== undefined) fragment.append(h('strong', { text: match[2] }));
    else if (match[3] !== undefined) fragment.append(h('em', { text: match[3] }));
    else if (match[4] !== undefined) fragment.append(h('s', { text: match[4] }));
    else fragment.append(h('a', { href: whole, target: '_blank', rel: 'noopener noreferrer', text: whole }));
    fragment.append(trailing);
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

const safeUrl = (url) => {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
};

const textOf = (value) => (typeof value === 'string' ? value : '');

/** A short, plain description of any message, for quotes and fallbacks. */
function summary(item) {
  const content = item?.content ?? {};
  if (item?.direction === 'in') return customerText(item);
  if (content.type === 'text') return textOf(content.text?.body);
  if (content.type === 'interactive') return textOf(content.interactive?.body?.text);
  if (content.type === 'template') return `Template ${textOf(content.template?.name)}`;
  return textOf(content.text) || textOf(content.body) || 'Message';
}

function customerText(item) {
  const content = item.content ?? {};
  const interactive = content.interactive;
  if (content.type === 'text') return textOf(content.text?.body);
  if (interactive?.type === 'button_reply') return textOf(interactive.button_reply?.title);
  if (interactive?.type === 'list_reply') return textOf(interactive.list_reply?.title);
  if (content.type === 'button') return textOf(content.button?.text);
  return `[${item.type} message]`;
}

function renderQuote(contextId) {
  if (!contextId) return null;
  const quoted = state.items.get(contextId);
  if (!quoted) return null;
  return h(
    'div',
    { class: 'quote' },
    h('span', { class: 'quote-who', text: quoted.direction === 'in' ? 'You' : state.business.name }),
    h('span', { class: 'quote-text', text: summary(quoted).slice(0, 120) }),
  );
}

function renderHeader(header) {
  if (!header) return null;
  if (header.type === 'text') return h('p', { class: 'msg-header', text: textOf(header.text) });
  const media = header[header.type] ?? {};
  const name = textOf(media.filename) || header.type;
  return h('p', { class: 'msg-media', text: `📎 ${name} (${header.type})` });
}

/** The business's message: the Graph request body the bot sent. */
function renderBusinessContent(item, actions) {
  const content = item.content ?? {};
  const parts = [];
  if (content.messaging_product === undefined && item.status === 'failed') {
    // Refused before sending: the store kept the bot's effect, not a Graph body.
    parts.push(h('p', { class: 'msg-text' }, richText(summary(item))));
  } else if (content.type === 'text') {
    parts.push(h('p', { class: 'msg-text' }, richText(textOf(content.text?.body))));
  } else if (content.type === 'interactive') {
    const interactive = content.interactive ?? {};
    parts.push(renderHeader(interactive.header));
    parts.push(h('p', { class: 'msg-text' }, richText(textOf(interactive.body?.text))));
    if (interactive.footer?.text) parts.push(h('p', { class: 'msg-footer', text: interactive.footer.text }));
    const action = interactive.action ?? {};
    if (interactive.type === 'button') {
      actions.push(
        h(
          'div',
          { class: 'reply-buttons' },
          (action.buttons ?? []).map((button) =>
            h(
              'button',
              {
                type: 'button',
                class: 'reply-button',
                onclick: () =>
                  sendReply({ id: button.reply?.id, title: button.reply?.title, kind: 'button' }, item.wamid),
              },
              icon(ICONS.reply),
              h('span', { text: textOf(button.reply?.title) }),
            ),
          ),
        ),
      );
    } else if (interactive.type === 'list') {
      parts.push(
        h(
          'button',
          {
            type: 'button',
            class: 'in-bubble-action',
            'aria-haspopup': 'dialog',
            onclick: (event) => openList(item, event.currentTarget),
          },
          icon(ICONS.list),
          h('span', { text: textOf(action.button) || 'Menu' }),
        ),
      );
    } else if (interactive.type === 'cta_url') {
      const url = safeUrl(textOf(action.parameters?.url));
      const label = textOf(action.parameters?.display_text) || 'Open';
      parts.push(
        url
          ? h(
              'a',
              { class: 'in-bubble-action', href: url, target: '_blank', rel: 'noopener noreferrer' },
              icon(ICONS.external),
              h('span', { text: label }),
              h('span', { class: 'visually-hidden', text: ' (opens in a new tab)' }),
            )
          : h('p', { class: 'msg-note', text: `${label}: the link is not a web address` }),
      );
    } else {
      parts.push(
        h('p', { class: 'msg-note', text: `(${interactive.type} message: not shown in the sandbox)` }),
      );
    }
  } else if (content.type === 'template') {
    const template = content.template ?? {};
    const parameters = (template.components ?? []).flatMap((component) =>
      (component.parameters ?? []).map((parameter, index) => ({
        where:
          component.type === 'button'
            ? `button ${Number(component.index ?? 0) + 1}`
            : `${component.type === 'body' ? '' : `${component.type} `}{{${index + 1}}}`,
        value:
          textOf(parameter.text) ||
          textOf(parameter.payload) ||
          textOf(parameter.currency?.fallback_value) ||
          textOf(parameter.date_time?.fallback_value) ||
          `[${parameter.type}]`,
        name: textOf(parameter.parameter_name),
      })),
    );
    parts.push(
      h(
        'p',
        { class: 'msg-template' },
        icon(ICONS.template),
        h('span', { text: 'Template ' }),
        h('strong', { text: textOf(template.name) }),
        h('span', { class: 'msg-lang', text: ` · ${textOf(template.language?.code)}` }),
      ),
    );
    if (parameters.length > 0) {
      parts.push(
        h(
          'ol',
          { class: 'template-params' },
          parameters.map((parameter) =>
            h(
              'li',
              {},
              h('span', { class: 'param-where', text: parameter.name || parameter.where }),
              h('span', { text: parameter.value }),
            ),
          ),
        ),
      );
    }
  } else {
    parts.push(h('p', { class: 'msg-note', text: `(${item.type} message)` }));
  }
  return parts;
}

function renderMessage(item, first) {
  const mine = item.direction === 'in';
  const actions = [];
  const body = mine
    ? [renderQuote(item.content?.context?.id), h('p', { class: 'msg-text' }, richText(customerText(item)))]
    : renderBusinessContent(item, actions);
  // The in-bubble action (list, link) sits below the time, like WhatsApp draws it.
  const inBubbleAction = body.find((part) => part?.classList?.contains('in-bubble-action'));
  const main = body.filter((part) => part && part !== inBubbleAction);
  const when = new Date(item.at);
  const meta = h(
    'span',
    { class: 'meta' },
    h('time', { datetime: item.at, text: Number.isNaN(when.getTime()) ? '' : timeFormat.format(when) }),
    renderTicks(item.status),
  );
  // An invisible copy of the time and ticks ends the last line, so the real one never covers text.
  const last = main.at(-1);
  const lastLine = last?.tagName === 'OL' ? last.lastElementChild : last;
  if (lastLine && lastLine.tagName !== 'DIV') {
    const spacer = meta.cloneNode(true);
    spacer.className = 'meta-spacer';
    spacer.setAttribute('aria-hidden', 'true');
    lastLine.append(spacer);
  }
  const error =
    item.status === 'failed'
      ? h(
          'p',
          { class: 'msg-error', role: 'status' },
          h('span', {
            text: mine
              ? `Not sent: ${item.error ?? 'the server refused it'}`
              : `Not delivered${item.error ? `: ${item.error}` : ''}`,
          }),
          mine && item.retry
            ? h('button', { type: 'button', class: 'retry', onclick: () => retry(item), text: 'Retry' })
            : null,
        )
      : null;
  return h(
    'li',
    {
      class: `msg ${mine ? 'mine' : 'theirs'}${first ? ' first' : ''}`,
      'data-id': item.id,
      'data-status': item.status,
      'data-type': item.type,
    },
    h(
      'div',
      { class: 'stack' },
      h(
        'div',
        { class: 'bubble' },
        h('span', { class: 'visually-hidden', text: mine ? 'You: ' : `${state.business.name}: ` }),
        h('div', { class: 'content' }, main, meta),
        inBubbleAction,
      ),
      actions,
      error,
    ),
  );
}

function retry(item) {
  state.items.delete(item.id);
  state.order = state.order.filter((id) => id !== item.id);
  renderAll();
  item.retry();
}

const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      const id = entry.target.dataset.id;
      if (entry.isIntersecting) state.onScreen.add(id);
      else state.onScreen.delete(id);
    }
    reportRead();
  },
  { root: el.chat, threshold: 0.25 },
);

/** The customer has seen a business message when it is on screen in a visible tab. */
function reportRead() {
  if (document.visibilityState !== 'visible') return;
  for (const id of state.onScreen) {
    const item = state.items.get(id);
    if (!item || item.direction !== 'out' || !item.wamid) continue;
    if (item.status === 'read' || item.status === 'failed' || state.reported.has(item.wamid)) continue;
    state.reported.add(item.wamid);
    const phone = state.phone;
    api('api/read', { phone, wamid: item.wamid }).catch(() => {
      if (phone === state.phone) state.reported.delete(item.wamid);
    });
  }
}

function previousItem(id) {
  const index = state.order.indexOf(id);
  return index > 0 ? state.items.get(state.order[index - 1]) : undefined;
}

function startsGroup(item, previous) {
  if (!previous) return true;
  return previous.direction !== item.direction || !sameDay(previous, item);
}

const sameDay = (a, b) => new Date(a.at).toDateString() === new Date(b.at).toDateString();

function appendNode(item, live) {
  const previous = previousItem(item.id);
  const pinned = isNearEnd();
  el.list.querySelector('.empty')?.remove();
  if (!previous || !sameDay(previous, item)) {
    el.list.append(h('li', { class: 'day' }, h('span', { text: dayLabel(new Date(item.at)) })));
  }
  const node = renderMessage(item, startsGroup(item, previous));
  state.nodes.set(item.id, node);
  el.list.append(node);
  if (item.direction === 'out') observer.observe(node);
  if (!live || pinned || item.direction === 'in') scrollToEnd();
}

function replaceNode(id) {
  const old = state.nodes.get(id);
  const item = state.items.get(id);
  if (!old || !item) return;
  observer.unobserve(old);
  state.onScreen.delete(id);
  const node = renderMessage(item, old.classList.contains('first'));
  state.nodes.set(id, node);
  old.replaceWith(node);
  if (item.direction === 'out') observer.observe(node);
}

function renderAll() {
  observer.disconnect();
  state.onScreen.clear();
  state.nodes.clear();
  el.list.replaceChildren();
  for (const id of state.order) appendNode(state.items.get(id), false);
  if (state.order.length === 0 && state.loaded) renderEmpty();
  scrollToEnd();
}

function renderEmpty() {
  const suggestions = ['hello', 'menu', 'talk to a person'];
  el.list.append(
    h(
      'li',
      { class: 'empty' },
      h('p', { text: `Say hello to ${state.business.name}. Try:` }),
      h(
        'div',
        { class: 'suggestions' },
        suggestions.map((text) =>
          h('button', { type: 'button', class: 'pill', onclick: () => sendText(text), text }),
        ),
      ),
    ),
  );
}

const isNearEnd = () => el.chat.scrollHeight - el.chat.scrollTop - el.chat.clientHeight < 80;

function scrollToEnd() {
  requestAnimationFrame(() => {
    el.chat.scrollTop = el.chat.scrollHeight;
  });
}

// ------------------------------------------------------------------------------------------
// Header: presence, typing
// ------------------------------------------------------------------------------------------

function setPresence(problem) {
  if (problem) {
    el.presence.textContent = problem;
  } else if (state.typingTimer) {
    el.presence.textContent = 'typing…';
  } else {
    el.presence.textContent = state.connected ? 'Business account' : 'Connecting…';
  }
  el.presence.classList.toggle('typing', Boolean(state.typingTimer) && !problem);
}

function startTyping() {
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, TYPING_MS);
  setPresence();
}

function stopTyping() {
  if (!state.typingTimer) return;
  clearTimeout(state.typingTimer);
  state.typingTimer = 0;
  setPresence();
}

// ------------------------------------------------------------------------------------------
// The list sheet
// ------------------------------------------------------------------------------------------

function openList(item, trigger) {
  const action = item.content?.interactive?.action ?? {};
  el.sheetTitle.textContent = textOf(action.button) || 'Menu';
  el.sheetBody.replaceChildren(
    ...(action.sections ?? []).map((section, index) => {
      const titleId = `sheet-section-${index}`;
      return h(
        'section',
        { class: 'sheet-section', 'aria-labelledby': section.title ? titleId : undefined },
        section.title ? h('h3', { id: titleId, text: section.title }) : null,
        h(
          'ul',
          {},
          (section.rows ?? []).map((row) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'sheet-row',
                  onclick: () => {
                    closeList();
                    sendReply({ id: row.id, title: row.title, kind: 'list' }, item.wamid);
                  },
                },
                h(
                  'span',
                  { class: 'row-text' },
                  h('span', { class: 'row-title', text: textOf(row.title) }),
                  row.description ? h('span', { class: 'row-description', text: row.description }) : null,
                ),
                h('span', { class: 'row-radio', 'aria-hidden': 'true' }),
              ),
            ),
          ),
        ),
      );
    }),
  );
  state.sheetReturnFocus = trigger;
  for (const node of [el.header, el.customerForm, el.chat, el.composer]) node.inert = true;
  el.sheet.hidden = false;
  (el.sheetBody.querySelector('button') ?? el.sheetClose).focus();
}

function closeList() {
  if (el.sheet.hidden) return;
  el.sheet.hidden = true;
  for (const node of [el.header, el.customerForm, el.chat, el.composer]) node.inert = false;
  state.sheetReturnFocus?.focus();
  state.sheetReturnFocus = null;
}

// ------------------------------------------------------------------------------------------
// Customer number
// ------------------------------------------------------------------------------------------

function usePhone(phone) {
  state.phone = phone;
  el.phone.value = phone;
  try {
    localStorage.setItem(PHONE_KEY, phone);
  } catch {
    // Private mode: the number is simply not remembered.
  }
  connect();
}

function applyPhoneField() {
  const phone = el.phone.value.replace(/[\s()+.-]/g, '');
  if (!PHONE_PATTERN.test(phone)) {
    el.phoneError.textContent = 'Use 6 to 15 digits with the country code, e.g. 393331234567';
    el.phoneError.hidden = false;
    el.phone.setAttribute('aria-invalid', 'true');
    return;
  }
  el.phoneError.hidden = true;
  el.phone.removeAttribute('aria-invalid');
  if (phone !== state.phone) usePhone(phone);
  else el.phone.value = phone;
}

function randomPhone() {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte % 10).join('');
  return `3933${digits}`;
}

function storedPhone() {
  try {
    const phone = localStorage.getItem(PHONE_KEY);
    return phone && PHONE_PATTERN.test(phone) ? phone : DEFAULT_PHONE;
  } catch {
    return DEFAULT_PHONE;
  }
}

// ------------------------------------------------------------------------------------------
// Start
// ------------------------------------------------------------------------------------------

async function loadBusiness() {
  try {
    state.business = await api('api/business');
  } catch {
    state.business = { name: 'Business' };
  }
  const name = state.business.name;
  el.name.textContent = name;
  el.avatar.textContent = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join('');
  document.title = `${name} · WhatsApp sandbox`;
}

function wire() {
  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = el.text.value;
    if (text.trim() === '') return el.text.focus();
    el.text.value = '';
    autosize();
    sendText(text);
    el.text.focus();
  });
  el.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });
  el.text.addEventListener('input', autosize);
  el.customerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    applyPhoneField();
  });
  el.phone.addEventListener('change', applyPhoneField);
  el.newCustomer.addEventListener('click', () => {
    el.phoneError.hidden = true;
    usePhone(randomPhone());
    el.text.focus();
  });
  el.sheetClose.addEventListener('click', closeList);
  el.sheet.addEventListener('click', (event) => {
    if (event.target === el.sheet) closeList();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !el.sheet.hidden) closeList();
  });
  document.addEventListener('visibilitychange', reportRead);
  for (const sample of document.querySelectorAll('.tick-sample'))
    sample.append(renderTicks(sample.dataset.status));
}

function autosize() {
  el.text.style.height = 'auto';
  el.text.style.height = `${Math.min(el.text.scrollHeight, 140)}px`;
}

wire();
el.phone.value = storedPhone();
await loadBusiness();
usePhone(el.phone.value);
