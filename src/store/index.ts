export * from './openStore.js';
export * from './schema.js';
export * from './inboundEventsRepo.js';
export * from './outboxRepo.js';
export * from './messagesRepo.js';
export * from './conversationsRepo.js';
export * from './timersRepo.js';
export * from './saveTurn.js';
