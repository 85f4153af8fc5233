import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * Headers for the product's own pages. Everything they need is served from this origin: no
 * CDN, no inline script, no framing.
 */
export function pageHeaders(options: { imgSrc?: string; cache?: 'no-cache' | 'no-store' } = {}) {
  return {
    'Content-Security-Policy':
      `default-src 'self'; img-src ${options.imgSrc ?? "'self' data:"}; style-src 'self'; script-src 'self'; connect-src 'self'; ` +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': options.cache ?? 'no-cache',
  };
}

/** A page's scripts, styles and images from `dir`; revalidated on every load, never sniffed. */
export function pageFiles(dir: string): RequestHandler {
  return express.static(dir, {
    index: false,
    setHeaders: (res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'no-cache');
    },
  });
}

/**
 * Serves `dir/index.html` at a router's root, first redirecting `/x` to `/x/`: the page loads its
 * files by relative URL, which needs the trailing slash.
 */
export function pageAtRoot(dir: string, headers: Record<string, string>): RequestHandler {
  return (req, res) => {
    const [pathname, query] = req.originalUrl.split('?');
    if (!pathname?.endsWith('/')) return void res.redirect(302, `${pathname}/${query ? `?${query}` : ''}`);
    res.set(headers).sendFile(path.join(dir, 'index.html'));
  };
}
