import type { DistributiveOmit, SendEffect } from '../engine/types.js';
import {
  buildButtons,
  buildCtaUrl,
  buildList,
  buildTemplate,
  buildOrderDetails,
  buildOrderStatus,
  buildText,
  type GraphMessage,
  type SendOptions,
  type TemplateComponent,
} from './builders.js';

/**
 * The Graph API body for one of the engine's send effects.
 * @throws {MessageLimitError} when the message is one WhatsApp would refuse.
 */
export function buildSendEffect(
  to: string,
  effect: DistributiveOmit<SendEffect, 'id'>,
  options: SendOptions = {},
): GraphMessage {
  const footer = 'footer' in effect && effect.footer ? { footer: effect.footer } : {};
  switch (effect.type) {
    case 'SendText':
      return buildText(to, { body: effect.text, ...options });
    case 'SendButtons':
      return buildButtons(to, { body: effect.body, buttons: effect.buttons, ...footer, ...options });
    case 'SendList':
      return buildList(to, {
        body: effect.body,
        button: effect.button,
        sections: effect.sections,
        ...footer,
        ...options,
      });
    case 'SendCtaUrl':
      return buildCtaUrl(to, {
        body: effect.body,
        buttonText: effect.buttonText,
        url: effect.url,
        ...options,
      });
    case 'SendOrderDetails': {
      const { order } = effect;
      return buildOrderDetails(to, {
        body: effect.body,
        ...footer,
        referenceId: order.referenceId,
        goodsType: order.goodsType,
        currency: order.currency,
        items: order.items,
        subtotal: order.subtotal,
        ...(order.tax ? { tax: order.tax } : {}),
        ...(order.shipping ? { shipping: order.shipping } : {}),
        ...(order.discount ? { discount: order.discount } : {}),
        total: order.total,
        ...(order.expiresAt === undefined
          ? {}
          : { expiresAt: Math.floor(new Date(order.expiresAt).getTime() / 1000) }),
        ...(order.expirationDescription === undefined
          ? {}
          : { expirationDescription: order.expirationDescription }),
        payment: order.payment,
        ...options,
      });
    }
    case 'SendOrderStatus':
      return buildOrderStatus(to, {
        body: effect.body,
        ...footer,
        referenceId: effect.referenceId,
        status: effect.status,
        ...(effect.description === undefined ? {} : { description: effect.description }),
        ...(effect.payment === undefined ? {} : { payment: effect.payment }),
        ...options,
      });
    case 'SendTemplate':
      return buildTemplate(to, {
        name: effect.name,
        language: effect.language,
        components: effect.components as TemplateComponent[],
        ...options,
      });
  }
}
