/** How many failed sign-ins a key may have in a window before it must wait. */
export interface LoginLimits {
  perAccount: number;
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccount: 5, perIp: 20, windowMs: 15 * 60_000 };

export interface LoginLimiter {
  /** Seconds to wait before trying again, or 0 when this account and address may try now. */
  retryAfter(account: string, ip: string, now: number): number;
  recordFailure(account: string, ip: string, now: number): void;
  /** A correct password clears the account's failures (not the address's). */
  recordSuccess(account: string): void;
}

/**
 * Failed sign-ins counted per account (guessing one person's password) and per address (trying
 * many accounts), in a sliding window. Kept in memory: each instance counts on its own, so with N
 * instances an attacker gets at most N times the limit, which argon2id still makes slow.
 */
export function createLoginLimiter(limits: LoginLimits = DEFAULT_LOGIN_LIMITS): LoginLimiter {
  const failures = new Map<string, number[]>();
  const MAX_KEYS = 50_000;

  const recent = (key: string, now: number) => {
    const list = (failures.get(key) ?? []).filter((at) => now - at < limits.windowMs);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  const wait = (key: string, limit: number, now: number) => {
    const list = recent(key, now);
    if (list.length < limit) return 0;
    const oldest = list[list.length - limit] as number;
    return Math.max(1, Math.ceil((oldest + limits.windowMs - now) / 1000));
  };
  const add = (key: string, now: number) => {
    if (failures.size >= MAX_KEYS && !failures.has(key)) {
      const [first] = failures.keys();
      if (first !== undefined) failures.delete(first);
    }
    failures.set(key, [...recent(key, now), now]);
  };

  return {
    retryAfter: (account, ip, now) =>
      Math.max(wait(`a:${account}`, limits.perAccount, now), wait(`i:${ip}`, limits.perIp, now)),
    recordFailure(account, ip, now) {
      add(`a:${account}`, now);
      add(`i:${ip}`, now);
    },
    recordSuccess: (account) => void failures.delete(`a:${account}`),
  };
}
