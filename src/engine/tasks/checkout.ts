import { readCatalog, type Product } from '../catalog.js';
import { makeReference } from '../references.js';
import { foldText } from '../foldText.js';
import { readCatalogId, readCount, wantsSomethingElse } from './read.js';
import { defineTask, paymentLimit, type Task, type TaskInput } from './task.js';

/** One cart line: a product, its variant choices and engraving, and how many. */
export interface CartItem {
  productId: string;
  quantity: number;
  variant: Record<string, string>;
  engraving: string | null;
}

export interface Order {
  id: string;
  reference: string;
  total: number;
  delivery: string;
  status: 'payment_requested' | 'paid';
}

const productOf = (input: TaskInput, id: unknown): Product | undefined =>
  readCatalog(input.business).products.find((p) => p.id === id);
const cartOf = (input: TaskInput) => (input.vars.cart as CartItem[] | undefined) ?? [];
const queueOf = (input: TaskInput) => (input.vars.cartQueue as CartItem[] | undefined) ?? [];

/** The first variant dimension the item still lacks, or null. */
function missingDimension(product: Product, item: CartItem): string | null {
  return Object.keys(product.variants).find((dimension) => !item.variant[dimension]) ?? null;
}
const needsEngraving = (product: Product, item: CartItem) =>
  product.engravingMaxLength !== undefined && item.engraving === null;

function itemName(input: TaskInput, item: CartItem): string {
  const product = productOf(input, item.productId);
  const name = product ? input.catalogName(product.id, product.name) : item.productId;
  const details = [
    ...Object.values(item.variant).map((value) => input.catalogName(`variant.${foldText(value)}`, value)),
    ...(item.engraving ? [`“${item.engraving}”`] : []),
  ];
  return details.length ? `${name} (${details.join(', ')})` : name;
}

/** Cart lines and total, priced from the catalog only. */
function summarise(input: TaskInput, cart: CartItem[]) {
  const lines = cart.map((item) => {
    const unit = productOf(input, item.productId)?.price ?? 0;
    return { name: itemName(input, item), quantity: item.quantity, unit, amount: unit * item.quantity };
  });
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const text = lines
    .map((line) =>
      input.render('checkout.line', { quantity: line.quantity, name: line.name, amount: line.amount }),
    )
    .join('\n');
  return { lines, total, text };
}

const PROVIDES = [
  'products',
  'product',
  'dimension',
  'options',
  'max',
  'length',
  'cart',
  'lines',
  'total',
  'count',
  'delivery',
  'reference',
  'amount',
  'unknown',
  'order',
];

/**
 * Moves the item in progress forward: asks for the next missing variant or the engraving, or
 * puts it in the cart and takes the next item an order left incomplete.
 */
function advance(input: TaskInput, pending: CartItem | null, queue: CartItem[], cart: CartItem[]) {
  let current = pending;
  const rest = [...queue];
  const items = [...cart];
  for (;;) {
    if (current) {
      const product = productOf(input, current.productId) as Product;
      const dimension = missingDimension(product, current);
      const base = {
        cart: items,
        cartQueue: rest,
        cartPending: current,
        product: input.catalogName(product.id, product.name),
      };
      if (dimension) {
        return {
          outcome: 'variant' as const,
          vars: {
            ...base,
            dimension: input.catalogName(`dimension.${dimension}`, dimension),
            variantDimension: dimension,
            options: (product.variants[dimension] ?? []).map((value) => ({
              id: value,
              title: input.catalogName(`variant.${foldText(value)}`, value),
            })),
          },
        };
      }
      if (needsEngraving(product, current))
        return { outcome: 'engraving' as const, vars: { ...base, max: product.engravingMaxLength } };
      const same = items.findIndex(
        (i) =>
          i.productId === current?.productId &&
          i.engraving === current.engraving &&
          JSON.stringify(i.variant) === JSON.stringify(current.variant),
      );
      if (same >= 0) {
        const existing = items[same] as CartItem;
        items[same] = { ...existing, quantity: existing.quantity + current.quantity };
      } else items.push(current);
    }
    current = rest.shift() ?? null;
    if (!current) break;
  }
  const summary = summarise(input, items);
  return {
    outcome: 'added' as const,
    vars: {
      cart: items,
      cartQueue: [],
      cartPending: null,
      lines: summary.text,
      total: summary.total,
      count: items.length,
    },
  };
}

const products = defineTask({
  outcomes: ['ask', 'known'],
  provides: PROVIDES,
  run(input) {
    const catalog = readCatalog(input.business).products;
    const items = catalog.map((p) => ({
      id: p.id,
      title: input.catalogName(p.id, p.name),
      description: input.render('checkout.product_row', { price: p.price }),
    }));
    const known = productOf(input, readCatalogId(input, catalog));
    if (!known) return { outcome: 'ask', vars: { products: items } };
    return { outcome: 'known', vars: { products: items } };
  },
});

const item = (input: TaskInput, product: Product): CartItem => {
  const variant: Record<string, string> = {};
  const slot = input.understanding?.slots.variant;
  const words = input.text ? ` ${foldText(input.text)} ` : '';
  for (const [dimension, values] of Object.entries(product.variants)) {
    const match = values.find(
      (v) =>
        (slot && foldText(slot) === foldText(v)) ||
        words.includes(` ${foldText(v)} `) ||
        words.includes(` ${foldText(input.catalogName(`variant.${foldText(v)}`, v))} `),
    );
    if (match) variant[dimension] = match;
  }
  const count = input.picked ? null : readCount(input);
  return {
    productId: product.id,
    quantity: count && count > 0 && count <= 20 ? count : 1,
    variant,
    engraving: null,
  };
};

const product = defineTask({
  outcomes: ['variant', 'engraving', 'added', 'none'],
  provides: PROVIDES,
  run(input) {
    if (!input.picked && wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    const found = productOf(input, readCatalogId(input, readCatalog(input.business).products));
    if (!found) return { outcome: 'none' };
    return advance(input, item(input, found), queueOf(input), cartOf(input));
  },
});

const variant = defineTask({
  outcomes: ['variant', 'engraving', 'added', 'none'],
  provides: PROVIDES,
  run(input) {
    const pending = input.vars.cartPending as CartItem | undefined;
    const dimension = input.vars.variantDimension as string | undefined;
    const product = productOf(input, pending?.productId);
    if (!pending || !dimension || !product) return { outcome: 'none' };
    const values = product.variants[dimension] ?? [];
    let value = input.picked && values.includes(input.picked) ? input.picked : null;
    if (!value && input.text) {
      const words = ` ${foldText(input.text)} `;
      const slot = input.understanding?.slots.variant;
      value =
        values.find(
          (v) =>
            (slot && foldText(slot) === foldText(v)) ||
            words.includes(` ${foldText(v)} `) ||
            words.includes(` ${foldText(input.catalogName(`variant.${foldText(v)}`, v))} `),
        ) ?? null;
    }
    if (!value) return { outcome: 'none' };
    return advance(
      input,
      { ...pending, variant: { ...pending.variant, [dimension]: value } },
      queueOf(input),
      cartOf(input),
    );
  },
});

/** The engraving: 1 to `engravingMaxLength` characters (emoji count as one), trimmed. */
const engraving = defineTask({
  outcomes: ['added', 'variant', 'engraving', 'too_long', 'none'],
  provides: PROVIDES,
  run(input) {
    const pending = input.vars.cartPending as CartItem | undefined;
    const product = productOf(input, pending?.productId);
    if (!pending || !product || input.text === null) return { outcome: 'none' };
    if (wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    const text = input.text.trim().replace(/\s+/g, ' ');
    const max = product.engravingMaxLength ?? 20;
    const length = [...text].length;
    if (length === 0) return { outcome: 'none' };
    if (length > max) return { outcome: 'too_long', vars: { max, length } };
    return advance(input, { ...pending, engraving: text }, queueOf(input), cartOf(input));
  },
});

const show = defineTask({
  outcomes: ['ok', 'empty'],
  provides: PROVIDES,
  run(input) {
    const cart = cartOf(input);
    if (cart.length === 0) return { outcome: 'empty' };
    const summary = summarise(input, cart);
    return { outcome: 'ok', vars: { lines: summary.text, total: summary.total, count: cart.length } };
  },
});

const clear = defineTask({
  outcomes: ['ok'],
  provides: PROVIDES,
  run: () => ({ outcome: 'ok', vars: { cart: [], cartQueue: [], cartPending: null } }),
});

/**
 * A catalog order from WhatsApp becomes the cart. Retailer ids are product ids, optionally with
 * variant values after colons (`engraved-bracelet:M`); unknown items are named back to the customer.
 */
const fromOrder = defineTask({
  outcomes: ['variant', 'engraving', 'added', 'empty'],
  provides: PROVIDES,
  run(input) {
    if (input.event.type !== 'OrderSubmitted') return { outcome: 'empty' };
    const queue: CartItem[] = [];
    const unknown: string[] = [];
    for (const line of input.event.items) {
      const [id, ...values] = line.productId.split(':');
      const found = productOf(input, id);
      if (!found || line.quantity < 1) {
        unknown.push(line.productId);
        continue;
      }
      const variant: Record<string, string> = {};
      for (const [dimension, allowed] of Object.entries(found.variants)) {
        const value = values.find((v) => allowed.some((a) => foldText(a) === foldText(v)));
        if (value) variant[dimension] = allowed.find((a) => foldText(a) === foldText(value)) as string;
      }
      queue.push({ productId: found.id, quantity: Math.min(line.quantity, 99), variant, engraving: null });
    }
    if (queue.length === 0) return { outcome: 'empty', vars: { unknown: unknown.join(', ') } };
    const result = advance(input, null, queue, []);
    return { ...result, vars: { ...result.vars, unknown: unknown.join(', '), delivery: null } };
  },
});

/** Delivery details: a name and address in one message, or a shared location. */
const delivery = defineTask({
  outcomes: ['ok', 'invalid', 'none'],
  provides: PROVIDES,
  run(input) {
    if (input.event.type === 'LocationReceived') {
      const { latitude, longitude, name } = input.event;
      return {
        outcome: 'ok',
        vars: { delivery: `${name ? `${name} ` : ''}📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}` },
      };
    }
    if (input.text === null || wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    const text = input.text.trim().replace(/[ \t]+/g, ' ');
    // A question is not an address, whatever the intent layer made of it.
    if (text.endsWith('?')) return { outcome: 'none' };
    const words = text.split(/\s+/).length;
    if ([...text].length < 10 || words < 3 || [...text].length > 300) return { outcome: 'invalid' };
    return { outcome: 'ok', vars: { delivery: text } };
  },
});

function paymentFor(input: TaskInput, order: Order, cart: CartItem[]) {
  const summary = summarise(input, cart);
  return {
    type: 'RequestPayment' as const,
    purpose: 'order' as const,
    subjectId: order.id,
    reference: order.reference,
    amount: summary.total,
    currency: input.business.currency,
    description: input.render('checkout.payment_description', { reference: order.reference }),
    items: summary.lines.map((line) => ({ name: line.name, quantity: line.quantity, amount: line.unit })),
  };
}

/** The explicit yes on the itemised summary. */
const confirm = defineTask({
  outcomes: ['requested', 'empty', 'over_limit', 'too_many'],
  provides: PROVIDES,
  run(input) {
    const cart = cartOf(input);
    if (cart.length === 0) return { outcome: 'empty' };
    const summary = summarise(input, cart);
    const limit = paymentLimit(input, summary.total);
    if (limit !== 'ok') return { outcome: limit, vars: { total: summary.total } };
    const order: Order = {
      id: `ord_${input.eventId}`,
      reference: makeReference('ORD', input.eventId),
      total: summary.total,
      delivery: String(input.vars.delivery ?? ''),
      status: 'payment_requested',
    };
    return {
      outcome: 'requested',
      vars: { order, orderCart: cart, reference: order.reference, amount: order.total, total: order.total },
      effects: [paymentFor(input, order, cart)],
    };
  },
});

const payment = defineTask({
  outcomes: ['paid', 'retry', 'other'],
  provides: PROVIDES,
  run(input) {
    const order = input.vars.order as Order | undefined;
    if (input.event.type !== 'PaymentUpdated' || !order || input.event.payment.subjectId !== order.id)
      return { outcome: 'other' };
    const { status } = input.event.payment;
    const shown = {
      reference: order.reference,
      amount: order.total,
      total: order.total,
      delivery: order.delivery,
    };
    if (status === 'succeeded')
      return {
        outcome: 'paid',
        vars: { ...shown, order: { ...order, status: 'paid' }, cart: [], orderCart: null },
      };
    if (status === 'failed' || status === 'expired') return { outcome: 'retry', vars: shown };
    return { outcome: 'other' };
  },
});

/** Ask again for the same order, after a failed or expired payment. */
const retry = defineTask({
  outcomes: ['requested', 'empty'],
  provides: PROVIDES,
  run(input) {
    const order = input.vars.order as Order | undefined;
    const cart = (input.vars.orderCart as CartItem[] | undefined) ?? [];
    if (!order || order.status !== 'payment_requested' || cart.length === 0) return { outcome: 'empty' };
    return {
      outcome: 'requested',
      vars: { reference: order.reference, amount: order.total },
      effects: [paymentFor(input, order, cart)],
    };
  },
});

export const CHECKOUT_TASKS: Record<string, Task> = {
  'checkout.products': products,
  'checkout.product': product,
  'checkout.variant': variant,
  'checkout.engraving': engraving,
  'checkout.show': show,
  'checkout.clear': clear,
  'checkout.from_order': fromOrder,
  'checkout.delivery': delivery,
  'checkout.confirm': confirm,
  'checkout.payment': payment,
  'checkout.retry': retry,
};
