import QRCode from 'qrcode';
import type { CampaignRow } from '../store/index.js';
import { refMarker } from './refCode.js';

export interface CampaignLinks {
  /** Opens WhatsApp with the prefilled text carrying the ref code. */
  waMe: string;
  /** Our redirect to `waMe`; counts a click per visit. Share this one (and the QR code). */
  tracked: string;
  /** The text the customer will find typed in, ready to send. */
  prefilledText: string;
}

/** Default opening words of the prefilled message, before the ref marker. */
export const DEFAULT_PREFILL = 'Hi! I would like to know more.';

/**
 * The links of a campaign with a ref code: the `wa.me/<number>?text=…` link and our tracked
 * redirect to it. Null for ad-only campaigns (Meta's referral identifies those).
 */
export function buildCampaignLinks(
  campaign: Pick<CampaignRow, 'refCode' | 'prefillText'>,
  displayPhoneNumber: string | undefined,
  publicBaseUrl: string,
): CampaignLinks | null {
  if (!campaign.refCode || !displayPhoneNumber) return null;
  const prefilledText = `${campaign.prefillText ?? DEFAULT_PREFILL} ${refMarker(campaign.refCode)}`;
  return {
    waMe: `https://wa.me/${displayPhoneNumber}?text=${encodeURIComponent(prefilledText)}`,
    tracked: `${publicBaseUrl}/c/${encodeURIComponent(campaign.refCode)}`,
    prefilledText,
  };
}

/** A QR code of the tracked link, as PNG bytes or SVG text. */
export async function renderQrCode(url: string, format: 'png' | 'svg'): Promise<Buffer | string> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 };
  if (format === 'svg') return QRCode.toString(url, { ...options, type: 'svg' });
  return QRCode.toBuffer(url, { ...options, type: 'png', width: 512 });
}
