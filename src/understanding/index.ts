export { createUnderstander, mergeSlots } from './createUnderstander.js';
export type { Understander, UnderstanderConfig, UnderstanderOptions } from './createUnderstander.js';
export { understandText, detectAnswer, detectCommand } from './understandText.js';
export type { UnderstandOptions } from './understandText.js';
export { detectLanguage } from './detectLanguage.js';
export { normalizeText } from './normalizeText.js';
export { parseSlots } from './parseSlots.js';
export { catalogFromBusiness } from './parseCatalog.js';
export type { Catalog, CatalogItem } from './parseCatalog.js';
