export { createCampaigns, type Campaigns, type CampaignsOptions } from './createCampaigns.js';
export { type CampaignHooks, type SucceededPayment } from './createCampaignHooks.js';
export { buildCapiBody, CAPI_KIND } from './capi.js';
export { readFunnel, funnelCsv } from './readFunnel.js';
export { readRefMarker, refMarker } from './refCode.js';
