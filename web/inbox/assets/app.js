// The staff inbox: queue, transcript, replies and notes, live over Server-Sent Events.
// Everything user-supplied is rendered with textContent: message texts are never parsed as HTML.

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};

const state = {
  me: null,
  csrf: '',
  tab: 'waiting',
  items: [],
  selected: 0,
  open: null, // { id, conversation, messages, notes, events, contact, window }
  templates: [],
  quickReplies: [],
  staff: [],
  mode: 'reply',
  pending: new Map(), // outboxId → text, until the sent message arrives
  now: Date.now(),
};

/* API ------------------------------------------------------------------------------------------ */

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const response = await fetch(`/api/inbox${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'X-CSRF-Token': state.csrf }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    location.assign(`/inbox/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, 'unauthorized', 'Your session ended; sign in again.');
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new ApiError(
      response.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? `Request failed (${response.status})`,
    );
  return data;
}

const enc = encodeURIComponent;

function toast(message, kind = 'info') {
  const node = $('toast');
  node.textContent = message;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), 4000);
}

/* Formatting ----------------------------------------------------------------------------------- */

const REASONS = {
  customer_request: 'Asked for a person',
  bot_not_understood: 'Bot did not understand',
  staff_takeover: 'Taken over by staff',
  payment_problem: 'Payment problem',
  refund_above_limit: 'Refund above limit',
};
const reasonText = (reason) => REASONS[reason] ?? reason.replace(/_/g, ' ');

function ago(iso) {
  const seconds = Math.max(0, Math.round((state.now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60 ? `${minutes % 60} min` : ''}`.trim();
  return `${Math.floor(hours / 24)} d`;
}

const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const day = (iso) => new Date(iso).toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });

const displayName = (item) => item.name || `+${item.waId}`;
const initials = (name) =>
  name
    .replace(/^\+/, '')
    .split(/\s+/)
    .slice(0, 2)
    .map((part) => part[0] ?? '')
    .join('')
    .toUpperCase() || '?';

/** A one-line preview of any transcript content. */
function preview(type, content) {
  const c = content ?? {};
  switch (c.type ?? type) {
    case 'text':
      return c.text?.body ?? '';
    case 'SendText':
      return c.text ?? '';
    case 'interactive': {
      const i = c.interactive ?? {};
      return i.button_reply?.title ?? i.list_reply?.title ?? i.body?.text ?? 'Interactive message';
    }
    case 'button':
      return c.button?.text ?? 'Button';
    case 'template':
      return `Template: ${c.template?.name ?? ''}`;
    case 'SendTemplate':
      return `Template: ${c.name ?? ''}`;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return `${MEDIA_LABEL[c.type ?? type]}${c[c.type ?? type]?.caption ? `: ${c[c.type ?? type].caption}` : ''}`;
    case 'location':
      return 'Location';
    case 'order':
      return 'Order';
    case 'reaction':
      return `Reacted ${c.reaction?.emoji ?? ''}`;
    default:
      return c.body ?? c.text ?? 'Message';
  }
}

const MEDIA_LABEL = {
  image: 'Photo',
  video: 'Video',
  audio: 'Voice message',
  document: 'Document',
  sticker: 'Sticker',
};

/* Message cards: one renderer per content type ------------------------------------------------- */

/**
 * Renderers keyed by message type. Each returns the bubble's body. Other modules add their own
 * (a payment card for the payment layer's messages) with `registerCard(type, render)`.
 */
const CARDS = {
  text: (c) => el('p', 'msg-text', c.text?.body ?? ''),
  SendText: (c) => el('p', 'msg-text', c.text ?? ''),
  interactive(c) {
    const i = c.interactive ?? {};
    const box = el('div');
    if (i.button_reply || i.list_reply) {
      box.append(el('p', 'msg-text', (i.button_reply ?? i.list_reply).title));
      box.append(el('p', 'msg-meta-line', 'Tapped an option'));
      return box;
    }
    if (i.header?.text) box.append(el('p', 'msg-title', i.header.text));
    box.append(el('p', 'msg-text', i.body?.text ?? ''));
    const options = [
      ...(i.action?.buttons ?? []).map((b) => b.reply?.title),
      ...(i.action?.sections ?? []).flatMap((s) => (s.rows ?? []).map((r) => r.title)),
      ...(i.action?.parameters?.display_text ? [i.action.parameters.display_text] : []),
    ].filter(Boolean);
    if (options.length) {
      const list = el('ul', 'chips');
      for (const option of options) list.append(el('li', 'chip', option));
      box.append(list);
    }
    return box;
  },
  button: (c) => el('p', 'msg-text', c.button?.text ?? ''),
  template(c) {
    const t = c.template ?? {};
    const box = el('div', 'card');
    box.append(el('p', 'card-kicker', `Template · ${t.name ?? ''}`));
    const values = (t.components ?? []).flatMap((comp) => (comp.parameters ?? []).map((p) => p.text ?? ''));
    const language = typeof t.language === 'string' ? t.language : t.language?.code;
    // The approved body, filled in, is what the customer reads.
    const body = state.templates.find((d) => d.name === t.name)?.languages[language];
    if (body)
      box.append(
        el(
          'p',
          'msg-text',
          body.replace(/\{\{(\d+)\}\}/g, (_, n) => values[n - 1] ?? ''),
        ),
      );
    else if (values.length) box.append(el('p', 'muted small', values.join(' · ')));
    return box;
  },
  SendTemplate: (c) =>
    CARDS.template({ template: { name: c.name, language: c.language, components: c.components } }),
  order(c) {
    const o = c.order ?? {};
    const box = el('div', 'card');
    box.append(el('p', 'card-kicker', 'Order'));
    const list = el('ul', 'order-items');
    let total = 0;
    let currency = '';
    for (const item of o.product_items ?? []) {
      const line = el('li');
      line.append(el('span', '', `${item.quantity} × ${item.product_retailer_id}`));
      if (item.item_price !== undefined) {
        total += item.item_price * item.quantity;
        currency = item.currency ?? currency;
        line.append(
          el('span', 'muted', `${(item.item_price * item.quantity).toFixed(2)} ${item.currency ?? ''}`),
        );
      }
      list.append(line);
    }
    box.append(list);
    if (currency) box.append(el('p', 'order-total', `Total ${total.toFixed(2)} ${currency}`));
    if (o.text) box.append(el('p', 'msg-text', o.text));
    return box;
  },
  location(c) {
    const l = c.location ?? {};
    const box = el('div', 'card');
    box.append(el('p', 'card-kicker', 'Location'));
    box.append(el('p', 'msg-text', l.name || l.address || `${l.latitude}, ${l.longitude}`));
    return box;
  },
  reaction: (c) => el('p', 'msg-text', `Reacted ${c.reaction?.emoji ?? ''}`),
};
for (const media of Object.keys(MEDIA_LABEL)) {
  CARDS[media] = (c) => {
    const m = c[media] ?? {};
    const box = el('div', 'media');
    box.append(el('span', `media-icon media-${media}`));
    const text = el('div');
    text.append(el('p', 'msg-title', MEDIA_LABEL[media]));
    text.append(el('p', 'muted small', m.filename ?? m.mime_type ?? 'Shown on the customer’s phone'));
    box.append(text);
    const wrap = el('div');
    wrap.append(box);
    if (m.caption) wrap.append(el('p', 'msg-text', m.caption));
    return wrap;
  };
}

export function registerCard(type, render) {
  CARDS[type] = render;
}

/** Contact-panel sections other modules contribute, keyed by the name the API uses. */
const PANEL_SECTIONS = {};
export function registerPanelSection(name, render) {
  PANEL_SECTIONS[name] = render;
}

function renderContent(message) {
  const content = message.content ?? {};
  const type = content.type ?? message.type;
  const payment = message.direction === 'out' ? paymentCardFor(content) : null;
  if (payment) return payment;
  const render = CARDS[type];
  if (render) return render(content);
  return el(
    'p',
    'msg-text muted',
    preview(message.type, content) || 'This message type is shown on the phone only',
  );
}

/* Queue ---------------------------------------------------------------------------------------- */

function belongs(item, tab) {
  const h = item.handoff;
  if (tab === 'all') return true;
  if (tab === 'resolved') return h?.status === 'resolved';
  if (item.mode !== 'handoff' || !h) return false;
  if (tab === 'waiting') return h.status === 'waiting';
  return h.status === 'assigned' && h.assignee?.id === state.me?.id;
}

function sortItems() {
  const key = {
    waiting: (i) => new Date(i.handoff?.startedAt ?? 0).getTime(),
    mine: (i) => new Date(i.handoff?.startedAt ?? 0).getTime(),
    all: (i) => -new Date(i.updatedAt).getTime(),
    resolved: (i) => -new Date(i.handoff?.resolvedAt ?? 0).getTime(),
  }[state.tab];
  state.items.sort((a, b) => key(a) - key(b));
}

async function loadQueue() {
  $('queue-state').textContent = '';
  $('queue').setAttribute('aria-busy', 'true');
  if (!state.items.length) renderSkeleton();
  try {
    const data = await api(`/queue?tab=${state.tab}`);
    state.items = data.items;
    state.now = Date.now();
    setCounts(data.counts);
    state.selected = Math.min(state.selected, Math.max(0, state.items.length - 1));
    renderQueue();
  } catch (error) {
    $('queue').replaceChildren();
    $('queue-state').textContent = `Could not load the queue: ${error.message}`;
  } finally {
    $('queue').removeAttribute('aria-busy');
  }
}

function setCounts(counts) {
  $('count-waiting').textContent = counts.waiting ? String(counts.waiting) : '';
  $('count-mine').textContent = counts.mine ? String(counts.mine) : '';
  document.title = counts.waiting ? `(${counts.waiting}) Inbox · Bella Studio` : 'Inbox · Bella Studio';
}

function renderSkeleton() {
  const list = $('queue');
  list.replaceChildren();
  for (let i = 0; i < 5; i++) list.append(el('li', 'item skeleton'));
}

const EMPTY = {
  waiting: ['Nobody is waiting', 'When the assistant hands a conversation over, it appears here.'],
  mine: ['Nothing assigned to you', 'Take a conversation from Waiting to answer it.'],
  all: ['No conversations yet', 'Customers who write to the business appear here.'],
  resolved: ['Nothing resolved yet', 'Resolved conversations go back to the assistant and are listed here.'],
};

function renderQueue() {
  const list = $('queue');
  list.replaceChildren();
  if (state.items.length === 0) {
    const [title, text] = EMPTY[state.tab];
    const empty = el('li', 'empty');
    empty.append(el('p', 'empty-title', title), el('p', 'muted small', text));
    list.append(empty);
    return;
  }
  state.items.forEach((item, index) => {
    const li = el('li', 'item');
    li.setAttribute('role', 'option');
    li.dataset.id = item.id;
    li.setAttribute('aria-selected', String(index === state.selected));
    if (state.open?.id === item.id) li.classList.add('open');
    const avatar = el('div', 'avatar', initials(displayName(item)));
    const body = el('div', 'item-body');
    const top = el('div', 'item-top');
    top.append(el('span', 'item-name', displayName(item)));
    const h = item.handoff;
    const time =
      state.tab === 'resolved' && h?.resolvedAt
        ? ago(h.resolvedAt)
        : item.mode === 'handoff' && h
          ? ago(h.startedAt)
          : item.last
            ? ago(item.last.at)
            : '';
    const timeNode = el('span', 'item-time', time);
    if (item.mode === 'handoff' && h?.status === 'waiting') {
      timeNode.classList.add('waiting');
      timeNode.title = `Waiting since ${clock(h.startedAt)}`;
    }
    top.append(timeNode);
    const last = el(
      'p',
      'item-preview',
      item.last
        ? `${item.last.direction === 'out' ? `${item.last.author ?? 'Assistant'}: ` : ''}${preview(item.last.type, item.last.content)}`
        : '',
    );
    const meta = el('div', 'item-meta');
    if (h && item.mode === 'handoff') meta.append(el('span', 'pill reason', reasonText(h.reason)));
    if (item.mode === 'bot') meta.append(el('span', 'pill bot', 'Assistant'));
    if (h?.status === 'resolved' && item.mode !== 'handoff') meta.append(el('span', 'pill done', 'Resolved'));
    if (h?.assignee && item.mode === 'handoff')
      meta.append(el('span', 'pill owner', h.assignee.id === state.me?.id ? 'You' : h.assignee.name));
    for (const tag of h?.tags ?? []) meta.append(el('span', 'pill tag', tag));
    body.append(top, last, meta);
    li.append(avatar, body);
    li.addEventListener('click', () => {
      state.selected = index;
      openConversation(item.id);
    });
    list.append(li);
  });
}

function upsertQueueItem(item) {
  const index = state.items.findIndex((i) => i.id === item.id);
  const fits = belongs(item, state.tab);
  const selectedId = state.items[state.selected]?.id;
  if (index >= 0 && fits) state.items[index] = item;
  else if (index >= 0) state.items.splice(index, 1);
  else if (fits) state.items.push(item);
  sortItems();
  const keep = state.items.findIndex((i) => i.id === selectedId);
  state.selected = keep >= 0 ? keep : Math.min(state.selected, Math.max(0, state.items.length - 1));
  renderQueue();
}

function switchTab(tab) {
  state.tab = tab;
  state.selected = 0;
  state.items = [];
  for (const button of document.querySelectorAll('.tab'))
    button.setAttribute('aria-selected', String(button.dataset.tab === tab));
  loadQueue();
}

/* Conversation --------------------------------------------------------------------------------- */

async function openConversation(id, { push = true } = {}) {
  if (push) history.pushState({ id }, '', `/inbox/c/${enc(id)}`);
  $('app').dataset.pane = 'thread';
  $('no-conversation').hidden = true;
  $('thread').hidden = false;
  if (state.open?.id !== id) {
    // Nothing of the previous conversation may stay clickable while this one loads.
    state.open = null;
    $('thread-name').textContent = '';
    $('thread-sub').textContent = 'Loading…';
    $('thread-banner').hidden = true;
    for (const button of ['take', 'assign', 'resolve']) $(button).hidden = true;
    $('composer').hidden = true;
    $('messages').replaceChildren(el('li', 'loading', 'Loading the conversation…'));
  }
  $('messages').setAttribute('aria-busy', 'true');
  try {
    const data = await api(`/conversations/${enc(id)}`);
    state.open = { id, ...data };
    for (const payment of data.contact?.sections?.payments?.payments ?? []) rememberPayment(payment);
    state.now = Date.now();
    renderThread();
    renderQueue();
  } catch (error) {
    $('messages').replaceChildren(
      el('li', 'loading', error.status === 404 ? 'This conversation does not exist.' : error.message),
    );
  } finally {
    $('messages').removeAttribute('aria-busy');
  }
}

function closeConversation() {
  state.open = null;
  history.pushState({}, '', '/inbox/');
  $('app').dataset.pane = 'queue';
  $('thread').hidden = true;
  $('no-conversation').hidden = false;
  $('panel').hidden = true;
  renderQueue();
}

function ownsOpen() {
  const h = state.open?.conversation?.handoff;
  return (
    state.open?.conversation?.mode === 'handoff' &&
    h?.status === 'assigned' &&
    h.assignee?.id === state.me?.id
  );
}

function renderThread() {
  const { conversation: item, window: win } = state.open;
  const name = displayName(item);
  $('thread-name').textContent = name;
  $('thread-avatar').textContent = initials(name);
  const h = item.handoff;
  const parts = [`+${item.waId}`];
  if (item.mode === 'bot') parts.push('The assistant is answering');
  else if (h?.status === 'waiting') parts.push(`${reasonText(h.reason)} · waiting ${ago(h.startedAt)}`);
  else if (h?.assignee)
    parts.push(
      `${reasonText(h.reason)} · ${h.assignee.id === state.me?.id ? 'with you' : `with ${h.assignee.name}`}`,
    );
  $('thread-sub').textContent = parts.join(' · ');

  const mine = ownsOpen();
  const open = item.mode === 'handoff' && h && h.status !== 'resolved';
  $('take').hidden = mine || (open && h.status === 'assigned' && state.me?.role !== 'admin');
  $('take').textContent = item.mode === 'handoff' ? 'Take' : 'Take over';
  $('assign').hidden = !open;
  $('resolve').hidden = !(open && (mine || state.me?.role === 'admin'));

  const banner = $('thread-banner');
  banner.hidden = true;
  if (item.mode === 'bot')
    showBanner('The assistant has this conversation. Take it over to write to the customer.');
  else if (h?.status === 'waiting') showBanner('Waiting for someone from the team. Take it to reply.');
  else if (open && !mine) showBanner(`${h.assignee?.name ?? 'Someone'} is answering this conversation.`);

  renderMessages();
  renderComposer(win, mine);
  if (panelShown()) renderPanel();
}

function showBanner(text) {
  const banner = $('thread-banner');
  banner.textContent = text;
  banner.hidden = false;
}

function statusIcon(message) {
  if (message.direction === 'in') return null;
  const labels = {
    accepted: 'Sent to WhatsApp',
    sent: 'Sent',
    delivered: 'Delivered',
    read: 'Read',
    failed: 'Not delivered',
    sending: 'Sending',
  };
  const tick = el('span', 'tick');
  tick.dataset.status = message.status;
  tick.setAttribute('role', 'img');
  tick.setAttribute('aria-label', labels[message.status] ?? message.status);
  tick.title = message.error ? `${labels.failed}: ${message.error}` : (labels[message.status] ?? '');
  return tick;
}

function messageNode(message) {
  const li = el('li', `msg ${message.direction === 'in' ? 'in' : 'out'}`);
  li.dataset.id = String(message.id);
  li.dataset.status = message.status;
  if (message.outboxId) li.dataset.outbox = message.outboxId;
  const who = message.direction === 'in' ? null : message.author ? message.author.name : 'Assistant';
  if (message.direction === 'out') li.classList.add(message.author ? 'staff' : 'bot');
  const bubble = el('div', 'bubble');
  if (who) bubble.append(el('p', 'msg-author', who));
  bubble.append(renderContent(message));
  const meta = el('p', 'msg-meta');
  meta.append(el('time', '', clock(message.at)));
  const tick = statusIcon(message);
  if (tick) meta.append(tick);
  bubble.append(meta);
  if (message.status === 'failed') bubble.append(el('p', 'msg-error', message.error ?? 'Not delivered'));
  li.append(bubble);
  return li;
}

function noteNode(note) {
  const li = el('li', 'note');
  li.dataset.note = String(note.id);
  const box = el('div', 'note-box');
  box.append(el('p', 'msg-author', `${note.author.name} · private note`));
  box.append(el('p', 'msg-text', note.text));
  box.append(el('p', 'msg-meta', clock(note.at)));
  li.append(box);
  return li;
}

function renderMessages() {
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  // A reply shows as "sending" only until its real message is here, however that arrived (the
  // live stream, or a reload of the conversation that raced with the stream).
  for (const m of state.open.messages) if (m.outboxId) state.pending.delete(m.outboxId);
  const entries = [
    ...state.open.messages.map((m) => ({ at: m.at, node: () => messageNode(m) })),
    ...state.open.notes.map((n) => ({ at: n.at, node: () => noteNode(n) })),
    ...state.open.events.map((e) => ({ at: e.at, node: () => eventNode(e) })),
    ...[...state.pending.entries()]
      .filter(([, p]) => p.conversationId === state.open.id)
      .map(([outboxId, p]) => ({
        at: p.at,
        node: () =>
          messageNode({
            id: `pending-${outboxId}`,
            outboxId,
            direction: 'out',
            type: 'text',
            content: { type: 'text', text: { body: p.text } },
            status: 'sending',
            at: p.at,
            author: state.me,
          }),
      })),
  ].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  const nodes = [];
  let lastDay = '';
  for (const entry of entries) {
    const d = day(entry.at);
    if (d !== lastDay) {
      nodes.push(el('li', 'day', d));
      lastDay = d;
    }
    nodes.push(entry.node());
  }
  if (nodes.length === 0) nodes.push(el('li', 'loading', 'No messages yet.'));
  list.replaceChildren(...nodes);
  if (atBottom || !renderMessages.done) list.scrollTop = list.scrollHeight;
  renderMessages.done = true;
}

const EVENT_TEXT = {
  started: (e) => `Handed to the team · ${reasonText(String(e.detail?.reason ?? ''))}`,
  assigned: (e) =>
    `${actorName(e)} ${e.detail?.took ? 'took the conversation' : `assigned it to ${staffName(e.detail?.to)}`}`,
  unassigned: (e) => `${actorName(e)} put it back in the queue`,
  resolved: (e) =>
    e.actor.by === 'customer' ? 'The customer went back to the assistant' : `${actorName(e)} resolved it`,
  bot_resumed: () => 'The assistant is answering again',
  pickup_timeout: () => 'Nobody picked it up in time; the customer was offered the assistant',
};
const actorName = (e) =>
  'name' in e.actor ? e.actor.name : e.actor.by === 'system' ? 'Round-robin' : e.actor.by;
const staffName = (id) =>
  state.staff.find((s) => s.id === id)?.name ?? (id === state.me?.id ? state.me.name : 'a teammate');

function eventNode(event) {
  const li = el('li', 'event');
  li.append(el('span', '', `${(EVENT_TEXT[event.type] ?? (() => event.type))(event)} · ${clock(event.at)}`));
  return li;
}

function renderComposer(win, mine) {
  const composer = $('composer');
  composer.hidden = false;
  const noteMode = state.mode === 'note';
  const canReply = mine && win.open;
  $('reply-box').hidden = !noteMode && mine && !win.open;
  $('template-box').hidden = noteMode || !mine || win.open;
  $('quick-button').hidden = noteMode || !canReply;
  $('pay-button').hidden = noteMode || !canReply;
  if ($('pay-button').hidden) togglePayBox(false);
  const text = $('reply-text');
  text.disabled = !noteMode && !canReply;
  $('send').disabled = text.disabled;
  $('send').textContent = noteMode ? 'Add note' : 'Send';
  composer.classList.toggle('note-mode', noteMode);
  text.placeholder = noteMode
    ? 'Write a private note for the team (the customer never sees it)'
    : canReply
      ? 'Write a reply… (Enter to send, Shift+Enter for a new line)'
      : state.open.conversation.mode === 'handoff'
        ? 'Take the conversation to reply'
        : 'Take the conversation over to reply';
  if (!noteMode && mine && !win.open) renderTemplatePicker(win);
}

function renderTemplatePicker(win) {
  $('window-note').textContent = win.closesAt
    ? `The 24-hour window closed ${ago(win.closesAt)} ago: WhatsApp only delivers approved templates until the customer writes again.`
    : 'The customer has not written yet: WhatsApp only delivers approved templates.';
  const select = $('template-name');
  if (select.options.length !== state.templates.length) {
    select.replaceChildren(...state.templates.map((t) => new Option(`${t.name} (${t.category})`, t.name)));
  }
  renderTemplateFields();
}

function currentTemplate() {
  return state.templates.find((t) => t.name === $('template-name').value) ?? state.templates[0];
}

function renderTemplateFields() {
  const template = currentTemplate();
  if (!template) return;
  const languages = Object.keys(template.languages);
  const language = $('template-language');
  const locale = state.open?.contact?.locale;
  const wanted = languages.find((l) => l.split('_')[0] === locale) ?? languages[0];
  const previous = language.value;
  language.replaceChildren(...languages.map((l) => new Option(l, l)));
  language.value = languages.includes(previous) && previous ? previous : wanted;
  const vars = $('template-vars');
  const values = [...vars.querySelectorAll('input')].map((input) => input.value);
  vars.replaceChildren(
    ...template.variables.map((v, index) => {
      const label = el('label');
      label.append(el('span', '', `{{${index + 1}}} ${v.label}`));
      const input = el('input');
      input.value =
        values[index] ?? (v.name === 'customer_name' ? (state.open?.contact?.name ?? '').split(' ')[0] : '');
      input.placeholder = v.example ?? '';
      input.addEventListener('input', renderTemplatePreview);
      label.append(input);
      return label;
    }),
  );
  renderTemplatePreview();
}

function renderTemplatePreview() {
  const template = currentTemplate();
  const body = template?.languages[$('template-language').value] ?? '';
  const values = [...$('template-vars').querySelectorAll('input')].map((input) => input.value.trim());
  $('template-preview').textContent = body.replace(/\{\{(\d+)\}\}/g, (_, n) => values[n - 1] || `{{${n}}}`);
}

function composerError(message) {
  $('composer-error').textContent = message;
  $('composer-error').hidden = !message;
}

async function submitComposer() {
  const text = $('reply-text').value.trim();
  if (!text || !state.open) return;
  composerError('');
  const id = state.open.id;
  if (state.mode === 'note') {
    try {
      await api(`/conversations/${enc(id)}/notes`, { method: 'POST', body: { text } });
      $('reply-text').value = '';
    } catch (error) {
      composerError(error.message);
    }
    return;
  }
  const key = crypto.randomUUID();
  $('send').disabled = true;
  try {
    const result = await api(`/conversations/${enc(id)}/reply`, {
      method: 'POST',
      body: { text },
      headers: { 'Idempotency-Key': key },
    });
    $('reply-text').value = '';
    if (!state.open.messages.some((m) => m.outboxId === result.outboxId)) {
      state.pending.set(result.outboxId, { text, at: new Date().toISOString(), conversationId: id });
      renderMessages();
    }
    $('messages').scrollTop = $('messages').scrollHeight;
  } catch (error) {
    composerError(error.message);
    if (error.code === 'outside_window') await openConversation(id, { push: false });
  } finally {
    $('send').disabled = false;
    $('reply-text').focus();
  }
}

async function sendTemplate() {
  const template = currentTemplate();
  const values = [...$('template-vars').querySelectorAll('input')].map((input) => input.value.trim());
  if (values.some((v) => !v)) return composerError('Fill in every variable of the template.');
  composerError('');
  try {
    await api(`/conversations/${enc(state.open.id)}/template`, {
      method: 'POST',
      body: { name: template.name, language: $('template-language').value, values },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    toast('Template sent');
  } catch (error) {
    composerError(error.message);
  }
}

/* Actions -------------------------------------------------------------------------------------- */

async function take() {
  if (!state.open) return;
  try {
    const result = await api(`/conversations/${enc(state.open.id)}/take`, { method: 'POST', body: {} });
    toast(result.takenOver ? 'Taking over from the assistant…' : 'The conversation is yours');
    if (!result.takenOver) await openConversation(state.open.id, { push: false });
    $('reply-text').focus();
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function assignTo(body) {
  $('assign-menu').hidden = true;
  $('assign').setAttribute('aria-expanded', 'false');
  try {
    const result = await api(`/conversations/${enc(state.open.id)}/assign`, { method: 'POST', body });
    toast(`Assigned to ${staffName(result.staffId)}`);
    await openConversation(state.open.id, { push: false });
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function toggleAssignMenu() {
  const menu = $('assign-menu');
  if (!menu.hidden) {
    menu.hidden = true;
    $('assign').setAttribute('aria-expanded', 'false');
    return;
  }
  menu.replaceChildren(el('p', 'menu-note', 'Loading the team…'));
  menu.hidden = false;
  $('assign').setAttribute('aria-expanded', 'true');
  await loadStaff();
  const items = [];
  const rr = el('button', 'menu-item', 'Next in rotation (round-robin)');
  rr.setAttribute('role', 'menuitem');
  rr.addEventListener('click', () => assignTo({ roundRobin: true }));
  items.push(rr);
  for (const person of state.staff.filter((s) => s.active && !s.invited)) {
    const item = el('button', 'menu-item', person.id === state.me.id ? `${person.name} (you)` : person.name);
    item.setAttribute('role', 'menuitem');
    item.addEventListener('click', () => assignTo({ staffId: person.id }));
    items.push(item);
  }
  menu.replaceChildren(...items);
}

async function loadStaff() {
  if (state.me?.role === 'admin') {
    state.staff = (await api('/staff').catch(() => ({ staff: [] }))).staff;
  } else {
    // Agents see only who appears in conversations; assigning by name needs the admin list.
    const seen = new Map(
      state.items.flatMap((i) => (i.handoff?.assignee ? [[i.handoff.assignee.id, i.handoff.assignee]] : [])),
    );
    seen.set(state.me.id, state.me);
    state.staff = [...seen.values()].map((s) => ({ ...s, active: true, invited: false }));
  }
}

function openResolve() {
  if (!state.open || $('resolve').hidden) return;
  $('resolve-error').hidden = true;
  $('closing-text').value = '';
  $('closing-text').disabled = !state.open.window.open;
  $('closing-text').placeholder = state.open.window.open
    ? 'e.g. Thanks for writing to us, have a lovely day!'
    : 'Outside the 24-hour window: no closing message can be sent';
  $('resolve-dialog').hidden = false;
  $('closing-text').focus();
}

async function confirmResolve() {
  try {
    await api(`/conversations/${enc(state.open.id)}/resolve`, {
      method: 'POST',
      body: { closingText: $('closing-text').value.trim() || null },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    $('resolve-dialog').hidden = true;
    toast('Resolved: the assistant has the conversation again');
    await openConversation(state.open.id, { push: false });
  } catch (error) {
    $('resolve-error').textContent = error.message;
    $('resolve-error').hidden = false;
  }
}

/* Contact panel -------------------------------------------------------------------------------- */

const LANGUAGES = {
  it: 'Italian',
  en: 'English',
  fr: 'French',
  es: 'Spanish',
  pt: 'Portuguese',
  de: 'German',
};

function section(title, ...children) {
  const box = el('section', 'panel-section');
  box.append(el('h3', '', title), ...children);
  return box;
}

function row(label, value) {
  const line = el('div', 'kv');
  line.append(el('span', 'muted', label), el('span', '', value));
  return line;
}

function renderPanel() {
  if (!state.open) return;
  const { contact, conversation: item, notes } = state.open;
  const body = $('panel-body');
  const head = el('div', 'panel-contact');
  head.append(
    el('div', 'avatar big', initials(displayName(item))),
    el('p', 'panel-name', displayName(item)),
    el('p', 'muted small', `+${contact.waId}`),
  );
  const consent = contact.optedOut
    ? `Opted out${contact.consentChangedAt ? ` on ${new Date(contact.consentChangedAt).toLocaleDateString()}` : ''}`
    : contact.consentChangedAt
      ? `Opted in (${contact.consentSource ?? 'recorded'})`
      : 'No opt-out';
  const details = section(
    'Details',
    row('Language', LANGUAGES[contact.locale] ?? 'Not known yet'),
    row('Marketing', consent),
    row('Customer since', contact.firstSeenAt ? new Date(contact.firstSeenAt).toLocaleDateString() : '—'),
    row(
      'Window',
      state.open.window.open
        ? `Open until ${new Date(state.open.window.closesAt).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })}`
        : 'Closed (templates only)',
    ),
  );
  const sections = [head, details];
  if (contact.campaign) {
    const c = contact.campaign;
    sections.push(
      section(
        'Campaign',
        row('Source', c.source_type === 'ad' ? 'Click-to-WhatsApp ad' : (c.source_type ?? 'Referral')),
        ...(c.headline ? [row('Ad', c.headline)] : []),
        ...(c.source_id ? [row('Id', c.source_id)] : []),
      ),
    );
  }
  for (const [name, data] of Object.entries(contact.sections ?? {})) {
    if (PANEL_SECTIONS[name]) sections.push(PANEL_SECTIONS[name](data, { section, row, el }));
  }
  sections.push(tagsSection(item));
  const noteList = el('ul', 'panel-notes');
  for (const note of notes.slice(-5).reverse()) {
    const li = el('li');
    li.append(el('p', '', note.text), el('p', 'muted small', `${note.author.name} · ${clock(note.at)}`));
    noteList.append(li);
  }
  sections.push(
    section('Notes', notes.length ? noteList : el('p', 'muted small', 'No notes yet. Press n to add one.')),
  );
  body.replaceChildren(...sections);
}

function tagsSection(item) {
  const tags = item.handoff?.tags ?? [];
  const list = el('div', 'tag-list');
  for (const tag of tags) {
    const chip = el('span', 'pill tag', tag);
    const remove = el('button', 'tag-remove', '×');
    remove.setAttribute('aria-label', `Remove tag ${tag}`);
    remove.addEventListener('click', () => saveTags(tags.filter((t) => t !== tag)));
    chip.append(remove);
    list.append(chip);
  }
  const form = el('form', 'tag-form');
  const input = el('input');
  input.placeholder = item.handoff ? 'Add a tag' : 'Tags apply once handed over';
  input.disabled = !item.handoff;
  input.maxLength = 30;
  input.setAttribute('aria-label', 'Add a tag');
  form.append(input);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim().toLowerCase();
    if (value) saveTags([...tags, value]);
  });
  return section('Tags', list, form);
}

async function saveTags(tags) {
  try {
    await api(`/conversations/${enc(state.open.id)}/tags`, { method: 'PUT', body: { tags } });
  } catch (error) {
    toast(error.message, 'error');
  }
}

/** The panel is always shown beside the conversation on a wide screen, and on demand otherwise. */
const panelShown = () => !$('panel').hidden || window.matchMedia('(min-width: 1180px)').matches;

function togglePanel(force) {
  const panel = $('panel');
  panel.hidden = force === undefined ? !panel.hidden : !force;
  if (!panel.hidden) renderPanel();
}

/* Quick replies -------------------------------------------------------------------------------- */

function quickText(reply) {
  const locale = state.open?.contact?.locale ?? 'it';
  const text = reply.text[locale] ?? reply.text.en ?? Object.values(reply.text)[0];
  return text.replace('{agent}', state.me?.name?.split(' ')[0] ?? '');
}

function toggleQuickMenu() {
  const menu = $('quick-menu');
  menu.hidden = !menu.hidden;
  $('quick-button').setAttribute('aria-expanded', String(!menu.hidden));
  if (menu.hidden) return;
  menu.replaceChildren(
    ...state.quickReplies.map((reply) => {
      const item = el('button', 'menu-item');
      item.type = 'button';
      item.setAttribute('role', 'menuitem');
      item.append(el('strong', '', `/${reply.shortcut}`), el('span', 'muted', ` ${reply.title}`));
      item.addEventListener('click', () => {
        insertQuick(reply);
        menu.hidden = true;
      });
      return item;
    }),
  );
}

function insertQuick(reply) {
  const text = $('reply-text');
  text.value = quickText(reply);
  text.focus();
}

/* Team (admins) -------------------------------------------------------------------------------- */

async function openTeam() {
  $('team').hidden = false;
  $('invite-link').hidden = true;
  await renderTeam();
  $('invite-name').focus();
}

async function renderTeam() {
  const rows = $('staff-rows');
  rows.replaceChildren(el('tr', '', 'Loading…'));
  try {
    state.staff = (await api('/staff')).staff;
  } catch (error) {
    return teamError(error.message);
  }
  rows.replaceChildren(
    ...state.staff.map((person) => {
      const tr = el('tr');
      tr.append(
        el('td', '', person.name),
        el('td', '', person.email),
        el('td', '', person.role === 'admin' ? 'Admin' : 'Agent'),
      );
      tr.append(el('td', '', !person.active ? 'Deactivated' : person.invited ? 'Invited' : 'Active'));
      const cell = el('td');
      const actions = el('div', 'actions');
      cell.append(actions);
      if (person.id !== state.me.id) {
        if (person.active) {
          const off = el('button', 'button small danger', 'Deactivate');
          off.addEventListener('click', () => staffAction(person, 'deactivate'));
          actions.append(off);
          if (person.invited) {
            const again = el('button', 'button small', 'New link');
            again.addEventListener('click', () => staffAction(person, 'invite'));
            actions.append(again);
          }
        } else {
          const on = el('button', 'button small', 'Reactivate');
          on.addEventListener('click', () => staffAction(person, 'reactivate'));
          actions.append(on);
        }
      }
      tr.append(cell);
      return tr;
    }),
  );
}

function teamError(message) {
  $('team-error').textContent = message;
  $('team-error').hidden = !message;
}

function showInviteLink(person, link) {
  const box = $('invite-link');
  box.replaceChildren(
    el('p', '', `Send this one-time link to ${person.name}. It works once, for 72 hours:`),
    Object.assign(el('input', 'link'), { value: link, readOnly: true }),
  );
  box.hidden = false;
  box.querySelector('input').select();
}

async function staffAction(person, action) {
  teamError('');
  if (
    action === 'deactivate' &&
    !confirm(
      `Deactivate ${person.name}? They are signed out at once and their conversations go back to Waiting.`,
    )
  )
    return;
  try {
    const result = await api(`/staff/${enc(person.id)}/${action}`, { method: 'POST', body: {} });
    if (result.inviteLink) showInviteLink(person, result.inviteLink);
    await renderTeam();
  } catch (error) {
    teamError(error.message);
  }
}

async function invite(event) {
  event.preventDefault();
  teamError('');
  try {
    const result = await api('/staff', {
      method: 'POST',
      body: {
        name: $('invite-name').value.trim(),
        email: $('invite-email').value.trim(),
        role: $('invite-role').value,
      },
    });
    $('invite-name').value = '';
    $('invite-email').value = '';
    showInviteLink(result.staff, result.inviteLink);
    await renderTeam();
  } catch (error) {
    teamError(error.message);
  }
}

/* Live updates --------------------------------------------------------------------------------- */

function connect() {
  const live = $('live');
  const source = new EventSource('/api/inbox/stream');
  let reconnecting = false;
  source.addEventListener('open', () => {
    live.dataset.state = 'live';
    live.textContent = 'Live';
    if (reconnecting) {
      // Updates published while we were away are gone: read the current state again.
      loadQueue();
      if (state.open) openConversation(state.open.id, { push: false });
    }
  });
  source.addEventListener('error', () => {
    reconnecting = true;
    live.dataset.state = 'offline';
    live.textContent = 'Reconnecting…';
  });
  source.addEventListener('conversation', (event) => {
    const { conversation } = JSON.parse(event.data);
    upsertQueueItem(conversation);
    refreshCounts();
    if (state.open?.id === conversation.id) {
      const was = state.open.conversation;
      state.open.conversation = conversation;
      if (
        conversation.lastInboundAt !== was.lastInboundAt ||
        conversation.mode !== was.mode ||
        JSON.stringify(conversation.handoff) !== JSON.stringify(was.handoff)
      ) {
        // Window, ownership or mode changed: re-read so buttons and the composer are right.
        openConversation(conversation.id, { push: false });
      }
    }
  });
  source.addEventListener('message', (event) => {
    const { message } = JSON.parse(event.data);
    if (state.open?.id !== message.conversationId) return;
    const list = state.open.messages;
    const index = list.findIndex((m) => m.id === message.id);
    if (index >= 0) list[index] = message;
    else list.push(message);
    if (message.outboxId) state.pending.delete(message.outboxId);
    renderMessages();
  });
  source.addEventListener('payment', (event) => {
    const { payment } = JSON.parse(event.data);
    rememberPayment(payment);
    if (state.open?.id !== payment.conversationId) return;
    const section = state.open.contact.sections?.payments;
    if (section) {
      const index = section.payments.findIndex((p) => p.id === payment.id);
      if (index >= 0) section.payments[index] = payment;
      else section.payments.unshift(payment);
    }
    renderMessages();
    if (panelShown()) renderPanel();
  });
  source.addEventListener('note', (event) => {
    const { note } = JSON.parse(event.data);
    if (state.open?.id !== note.conversationId || state.open.notes.some((n) => n.id === note.id)) return;
    state.open.notes.push(note);
    renderMessages();
    if (panelShown()) renderPanel();
  });
}

let countsTimer = null;
function refreshCounts() {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(async () => {
    const data = await api(`/queue?tab=${state.tab}&limit=1`).catch(() => null);
    if (data) setCounts(data.counts);
  }, 300);
}

/* Keyboard ------------------------------------------------------------------------------------- */

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

function moveSelection(delta) {
  if (state.items.length === 0) return;
  state.selected = Math.max(0, Math.min(state.items.length - 1, state.selected + delta));
  renderQueue();
  $('queue').querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
}

function closeOverlays() {
  let closed = false;
  for (const id of ['help', 'resolve-dialog', 'team']) {
    if (!$(id).hidden) {
      $(id).hidden = true;
      closed = true;
    }
  }
  for (const id of ['assign-menu', 'quick-menu']) {
    if (!$(id).hidden) {
      $(id).hidden = true;
      closed = true;
    }
  }
  if (location.pathname === '/inbox/team') history.pushState({}, '', '/inbox/');
  return closed;
}

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    if (closeOverlays()) return;
    if (typing(event.target)) return void event.target.blur();
    if (!$('panel').hidden && !window.matchMedia('(min-width: 1180px)').matches) return togglePanel(false);
    if (state.open) closeConversation();
    return;
  }
  if (typing(event.target) || event.metaKey || event.ctrlKey || event.altKey) return;
  if (!$('help').hidden && event.key !== '?') return;
  const actions = {
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    ArrowDown: () => moveSelection(1),
    ArrowUp: () => moveSelection(-1),
    Enter: () => state.items[state.selected] && openConversation(state.items[state.selected].id),
    1: () => switchTab('waiting'),
    2: () => switchTab('mine'),
    3: () => switchTab('all'),
    4: () => switchTab('resolved'),
    t: () => !$('take').hidden && take(),
    e: openResolve,
    r: () => state.open && (setMode('reply'), $('reply-text').focus()),
    n: () => state.open && (setMode('note'), $('reply-text').focus()),
    i: () => state.open && togglePanel(),
    '?': () => ($('help').hidden = !$('help').hidden),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

function setMode(mode) {
  state.mode = mode;
  for (const button of document.querySelectorAll('.mode'))
    button.setAttribute('aria-selected', String(button.dataset.mode === mode));
  if (state.open) renderComposer(state.open.window, ownsOpen());
}

/* Start ---------------------------------------------------------------------------------------- */

function wire() {
  for (const button of document.querySelectorAll('.tab'))
    button.addEventListener('click', () => switchTab(button.dataset.tab));
  for (const button of document.querySelectorAll('.mode'))
    button.addEventListener('click', () => setMode(button.dataset.mode));
  $('take').addEventListener('click', take);
  $('assign').addEventListener('click', toggleAssignMenu);
  $('resolve').addEventListener('click', openResolve);
  $('resolve-cancel').addEventListener('click', () => ($('resolve-dialog').hidden = true));
  $('resolve-confirm').addEventListener('click', confirmResolve);
  $('back').addEventListener('click', closeConversation);
  $('panel-toggle').addEventListener('click', () => togglePanel());
  $('panel-close').addEventListener('click', () => togglePanel(false));
  $('help-button').addEventListener('click', () => ($('help').hidden = false));
  $('help-close').addEventListener('click', () => ($('help').hidden = true));
  $('quick-button').addEventListener('click', toggleQuickMenu);
  $('pay-button').addEventListener('click', () => togglePayBox());
  $('pay-send').addEventListener('click', () => sendPaymentLink());
  $('template-name').addEventListener('change', renderTemplateFields);
  $('template-language').addEventListener('change', renderTemplatePreview);
  $('template-send').addEventListener('click', sendTemplate);
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    submitComposer();
  });
  $('reply-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitComposer();
    }
  });
  $('reply-text').addEventListener('input', (event) => {
    const match = /^\/([a-z0-9-]+)$/.exec(event.target.value);
    const reply = match && state.quickReplies.find((r) => r.shortcut === match[1]);
    if (reply) insertQuick(reply);
  });
  $('team-link').addEventListener('click', (event) => {
    event.preventDefault();
    history.pushState({}, '', '/inbox/team');
    openTeam();
  });
  $('team-close').addEventListener('click', () => {
    $('team').hidden = true;
    history.pushState({}, '', '/inbox/');
  });
  $('invite-form').addEventListener('submit', invite);
  $('me-button').addEventListener('click', async () => {
    if (!confirm(`Signed in as ${state.me.name} (${state.me.email}). Sign out?`)) return;
    await fetch('/inbox/logout', { method: 'POST', headers: { 'X-CSRF-Token': state.csrf } });
    location.assign('/inbox/login');
  });
  window.addEventListener('popstate', route);
  setInterval(() => {
    state.now = Date.now();
    renderQueue();
  }, 30_000);
}

function route() {
  const match = /^\/inbox\/c\/(.+)$/.exec(location.pathname);
  if (location.pathname === '/inbox/team' && state.me.role === 'admin') return void openTeam();
  if (match) return void openConversation(decodeURIComponent(match[1]), { push: false });
  if (state.open) {
    state.open = null;
    $('app').dataset.pane = 'queue';
    $('thread').hidden = true;
    $('no-conversation').hidden = false;
  }
}

async function start() {
  wire();
  const me = await api('/me');
  state.me = me.user;
  state.csrf = me.csrfToken;
  $('me-name').textContent = me.user.name;
  $('team-link').hidden = me.user.role !== 'admin';
  const [templates, quick] = await Promise.all([api('/templates'), api('/quick-replies')]);
  state.templates = templates.templates;
  state.quickReplies = quick.quickReplies;
  connect();
  await loadQueue();
  route();
}

start().catch((error) => toast(error.message, 'error'));

/* Payments: cards in the transcript, the contact panel section, payment links ---------------- */

/** Every payment seen, by id and by its link's token, so a link message can show its payment's state. */
const PAYMENTS = { byId: new Map(), byToken: new Map() };
function rememberPayment(payment) {
  PAYMENTS.byId.set(payment.id, payment);
  const token = payment.link?.split('/pay/')[1];
  if (token) PAYMENTS.byToken.set(token, payment.id);
}

/** The payment a sent message carries (a link button, a link in the text, a template's link button). */
function paymentOf(content) {
  if (PAYMENTS.byToken.size === 0) return null;
  const raw = JSON.stringify(content);
  for (const [token, id] of PAYMENTS.byToken) if (raw.includes(token)) return PAYMENTS.byId.get(id);
  return null;
}

const PAYMENT_STATUS = {
  created: 'Link sent',
  pending: 'Pending',
  succeeded: 'Paid',
  failed: 'Failed',
  expired: 'Expired',
  partially_refunded: 'Partly refunded',
  refunded: 'Refunded',
};
const money = (amount, currency) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount / 100);

function paymentCardFor(content) {
  const payment = paymentOf(content);
  if (!payment) return null;
  const text =
    content.interactive?.body?.text ??
    content.text?.body ??
    (typeof content.text === 'string' ? content.text : null) ??
    content.body ??
    '';
  const box = el('div', 'card payment-card');
  box.dataset.payment = payment.id;
  box.dataset.status = payment.status;
  const head = el('div', 'payment-head');
  head.append(
    el('p', 'card-kicker', `Payment · ${payment.reference}`),
    el('span', `payment-status status-${payment.status}`, PAYMENT_STATUS[payment.status] ?? payment.status),
  );
  box.append(head);
  box.append(el('p', 'payment-amount', money(payment.amount, payment.currency)));
  box.append(el('p', 'msg-text', payment.description));
  if (payment.refundedAmount > 0)
    box.append(el('p', 'muted small', `Refunded ${money(payment.refundedAmount, payment.currency)}`));
  if (payment.paidAt) box.append(el('p', 'muted small', `Paid ${clock(payment.paidAt)}`));
  if (text) {
    const details = el('details', 'payment-message');
    details.append(el('summary', '', 'Message sent'), el('p', 'msg-text', text));
    box.append(details);
  }
  return box;
}

registerPanelSection('payments', (data, { section, row }) => {
  const children = [];
  for (const payment of (data.payments ?? []).slice(0, 5)) {
    const current = PAYMENTS.byId.get(payment.id) ?? payment;
    children.push(
      row(
        `${current.reference} · ${money(current.amount, current.currency)}`,
        PAYMENT_STATUS[current.status] ?? current.status,
      ),
    );
  }
  if (children.length === 0) children.push(el('p', 'muted small', 'No payments yet.'));
  const open = (data.invoices ?? []).filter((i) => i.status === 'open');
  for (const invoice of open) {
    const line = el('div', 'kv invoice-line');
    const send = el('button', 'button small', 'Send link');
    send.type = 'button';
    send.dataset.invoice = invoice.reference;
    send.hidden = $('pay-button').hidden;
    send.addEventListener('click', () => sendPaymentLink({ invoice: invoice.reference }));
    line.append(
      el('span', 'muted', `${invoice.reference} · due ${invoice.dueDate}`),
      el('span', '', money(invoice.amount, invoice.currency)),
      send,
    );
    children.push(line);
  }
  for (const booking of data.bookings ?? [])
    children.push(
      row(
        `${booking.reference} · ${new Date(booking.start).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}`,
        booking.status,
      ),
    );
  return section('Payments', ...children);
});

function togglePayBox(show = $('pay-box').hidden) {
  $('pay-box').hidden = !show;
  $('pay-button').setAttribute('aria-expanded', String(show));
  if (show) $('pay-amount').focus();
}

/** Amount as typed ("25", "25.5", "25,50") → cents, or null. */
function toCents(value) {
  const text = value.trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
  return Math.round(Number(text) * 100);
}

async function sendPaymentLink(fromInvoice) {
  if (!state.open) return;
  composerError('');
  let body = fromInvoice;
  if (!body) {
    const amount = toCents($('pay-amount').value);
    if (!amount) return composerError('Enter an amount such as 25.00');
    const description = $('pay-description').value.trim();
    if (!description) return composerError('Say what the payment is for');
    body = { amount, description };
  }
  const button = $('pay-send');
  button.disabled = true;
  try {
    await api(`/conversations/${enc(state.open.id)}/payment-link`, {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    $('pay-amount').value = '';
    $('pay-description').value = '';
    togglePayBox(false);
  } catch (error) {
    composerError(error.message);
  } finally {
    button.disabled = false;
  }
}
