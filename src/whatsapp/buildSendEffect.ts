import type { DistributiveOmit, SendEffect } from '../engine/types.js';
import {
  buildButtons,
  buildCtaUrl,
  buildList,
  buildTemplate,
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
    case 'SendTemplate':
      return buildTemplate(to, {
        name: effect.name,
        language: effect.language,
        components: effect.components as TemplateComponent[],
        ...options,
      });
  }
}
