import express, { type Router } from 'express';
import type { App } from '../../createApp.js';
import type { Logger } from '../../logger.js';

export interface SandboxOptions {
  core: Omit<App, 'http'>;
  logger: Logger;
  secrets: { appSecret: string; apiToken: string; accessToken: string };
}

/** The WhatsApp emulator: a phone page and a Graph-compatible endpoint. */
export function createSandbox(_options: SandboxOptions): Router {
  return express.Router();
}
