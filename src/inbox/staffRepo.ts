import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import {
  handoffs,
  staffInvites,
  staffSessions,
  staffUsers,
  type Db,
  type StaffUserRow,
} from '../store/index.js';

export type StaffRole = 'admin' | 'agent';

/** A staff member as the API shows it: never the password hash. */
export interface StaffView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean;
  invited: boolean;
  createdAt: string;
}

export const toStaffView = (user: StaffUserRow): StaffView => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  active: user.active,
  invited: user.passwordHash === null,
  createdAt: user.createdAt.toISOString(),
});

/** SHA-256 of a bearer secret (session id, invite token), the only form in which we store one. */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** 256 random bits, URL-safe. */
export const newSecret = () => randomBytes(32).toString('base64url');

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export async function countStaff(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)::int` }).from(staffUsers);
  return Number(rows[0]?.n ?? 0);
}

export async function createStaffUser(
  db: Db,
  user: { email: string; name: string; role: StaffRole; passwordHash: string | null },
): Promise<StaffUserRow> {
  const rows = await db
    .insert(staffUsers)
    .values({ id: randomUUID(), ...user, email: normaliseEmail(user.email) })
    .onConflictDoNothing()
    .returning();
  if (!rows[0]) throw new StaffExists(user.email);
  return rows[0];
}

/** Thrown when an email is already used by another staff member. */
export class StaffExists extends Error {
  constructor(email: string) {
    super(`A staff member with the email ${normaliseEmail(email)} already exists`);
  }
}

export async function findStaffByEmail(db: Db, email: string): Promise<StaffUserRow | null> {
  const rows = await db
    .select()
    .from(staffUsers)
    .where(eq(staffUsers.email, normaliseEmail(email)));
  return rows[0] ?? null;
}

export async function getStaff(db: Db, id: string): Promise<StaffUserRow | null> {
  const rows = await db.select().from(staffUsers).where(eq(staffUsers.id, id));
  return rows[0] ?? null;
}

export async function listStaff(db: Db): Promise<StaffUserRow[]> {
  return db.select().from(staffUsers).orderBy(asc(staffUsers.name));
}

export async function setStaffPassword(db: Db, id: string, passwordHash: string): Promise<void> {
  await db.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, id));
}

/**
 * Deactivates a staff member: their sessions end at once and the conversations they held go back
 * to the waiting queue. @returns the conversations put back.
 */
export async function deactivateStaff(db: Db, id: string, now: Date): Promise<string[]> {
  await db.update(staffUsers).set({ active: false }).where(eq(staffUsers.id, id));
  await db.delete(staffSessions).where(eq(staffSessions.userId, id));
  await db
    .update(staffInvites)
    .set({ usedAt: now })
    .where(and(eq(staffInvites.userId, id), isNull(staffInvites.usedAt)));
  const released = await db
    .update(handoffs)
    .set({ status: 'waiting', assigneeId: null, assignedAt: null, updatedAt: now })
    .where(and(eq(handoffs.assigneeId, id), eq(handoffs.status, 'assigned')))
    .returning({ conversationId: handoffs.conversationId });
  return released.map((row) => row.conversationId);
}

export async function reactivateStaff(db: Db, id: string): Promise<void> {
  await db.update(staffUsers).set({ active: true }).where(eq(staffUsers.id, id));
}

export async function countActiveAdmins(db: Db): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(staffUsers)
    .where(and(eq(staffUsers.role, 'admin'), eq(staffUsers.active, true)));
  return Number(rows[0]?.n ?? 0);
}

/* Sessions ---------------------------------------------------------------------------------- */

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

/** Starts a session. @returns the cookie value (shown once, stored only hashed) and its CSRF token. */
export async function createSession(
  db: Db,
  userId: string,
  now: Date,
  limits: SessionLimits,
): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
  const id = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(now.getTime() + limits.maxMs);
  await db.insert(staffSessions).values({
    idHash: hashSecret(id),
    userId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  return { id, csrfToken, expiresAt };
}

/**
 * The live session for a cookie value, with its active user; touches its idle clock. Expired or
 * idle sessions are deleted here.
 */
export async function resumeSession(
  db: Db,
  id: string,
  now: Date,
  limits: SessionLimits,
): Promise<{ idHash: string; csrfToken: string; user: StaffUserRow } | null> {
  const idHash = hashSecret(id);
  const rows = await db
    .select({ session: staffSessions, user: staffUsers })
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffUsers.id, staffSessions.userId))
    .where(eq(staffSessions.idHash, idHash));
  const row = rows[0];
  if (!row) return null;
  const idleSince = now.getTime() - row.session.lastSeenAt.getTime();
  if (!row.user.active || row.session.expiresAt <= now || idleSince > limits.idleMs) {
    await db.delete(staffSessions).where(eq(staffSessions.idHash, idHash));
    return null;
  }
  // One write a minute at most: the idle clock does not need millisecond precision.
  if (idleSince > 60_000) {
    await db.update(staffSessions).set({ lastSeenAt: now }).where(eq(staffSessions.idHash, idHash));
  }
  return { idHash, csrfToken: row.session.csrfToken, user: row.user };
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(staffSessions).where(eq(staffSessions.idHash, idHash));
}

export async function deleteExpiredSessions(db: Db, now: Date, idleMs: number): Promise<void> {
  await db
    .delete(staffSessions)
    .where(
      or(lt(staffSessions.expiresAt, now), lt(staffSessions.lastSeenAt, new Date(now.getTime() - idleMs))),
    );
}

/* Invites ----------------------------------------------------------------------------------- */

export async function createInvite(
  db: Db,
  userId: string,
  createdBy: string | null,
  now: Date,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + ttlMs);
  // A new invite replaces any earlier one for the same person.
  await db
    .update(staffInvites)
    .set({ usedAt: now })
    .where(and(eq(staffInvites.userId, userId), isNull(staffInvites.usedAt)));
  await db.insert(staffInvites).values({ tokenHash: hashSecret(token), userId, createdBy, expiresAt });
  return { token, expiresAt };
}

/** Uses an invite once. @returns the invited user, or null when the token is unknown, used or expired. */
export async function consumeInvite(db: Db, token: string, now: Date): Promise<StaffUserRow | null> {
  const used = await db
    .update(staffInvites)
    .set({ usedAt: now })
    .where(
      and(
        eq(staffInvites.tokenHash, hashSecret(token)),
        isNull(staffInvites.usedAt),
        gt(staffInvites.expiresAt, now),
      ),
    )
    .returning({ userId: staffInvites.userId });
  if (!used[0]) return null;
  const user = await getStaff(db, used[0].userId);
  return user?.active ? user : null;
}
