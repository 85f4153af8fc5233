import express, { type Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../engine/types.js';
import { Conflict, InvalidPayload, NotFound } from '../server/errors.js';
import type { Db } from '../store/index.js';
import { principalOf } from './createStaffAuth.js';
import {
  countActiveAdmins,
  createInvite,
  createStaffUser,
  deactivateStaff,
  getStaff,
  listStaff,
  reactivateStaff,
  StaffExists,
  toStaffView,
} from './staffRepo.js';

const inviteBody = z.strictObject({
  email: z.email({ message: 'expected an email address' }).max(254),
  name: z.string().trim().min(1, { message: 'write a name' }).max(100),
  role: z.enum(['admin', 'agent']).default('agent'),
});

/** Staff management for admins: list, invite (one-time link), deactivate, reactivate. */
export function staffAdminRoutes(options: {
  db: Db;
  clock: Clock;
  publicBaseUrl: string;
  inviteTtlMs: number;
  onReleased(conversationIds: string[]): void;
}): Router {
  const { db, clock } = options;
  const router = express.Router();
  const actorId = (res: express.Response) => {
    const principal = principalOf(res);
    return principal.kind === 'staff' ? principal.user.id : null;
  };
  const inviteLink = (token: string) => `${options.publicBaseUrl}/inbox/invite#${token}`;
  const target = async (id: string) => {
    const user = await getStaff(db, z.string().max(100).parse(id));
    if (!user) throw new NotFound(`No staff member ${id}`);
    return user;
  };

  router.get('/', async (_req, res) => {
    res.json({ staff: (await listStaff(db)).map(toStaffView) });
  });

  router.post('/', async (req, res) => {
    const body = inviteBody.parse(req.body ?? {});
    const now = clock.now();
    let invite: { token: string; expiresAt: Date };
    let user;
    try {
      ({ user, invite } = await db.transaction(async (tx) => {
        const created = await createStaffUser(tx as unknown as Db, { ...body, passwordHash: null });
        return {
          user: created,
          invite: await createInvite(tx as unknown as Db, created.id, actorId(res), now, options.inviteTtlMs),
        };
      }));
    } catch (error) {
      if (error instanceof StaffExists) throw new Conflict('staff_exists', error.message);
      throw error;
    }
    res.status(201).json({
      staff: toStaffView(user),
      inviteLink: inviteLink(invite.token),
      inviteExpiresAt: invite.expiresAt.toISOString(),
    });
  });

  router.post('/:id/invite', async (req, res) => {
    const user = await target(req.params.id as string);
    if (!user.active) throw new Conflict('inactive', 'Reactivate this person before inviting them again');
    const invite = await createInvite(db, user.id, actorId(res), clock.now(), options.inviteTtlMs);
    res
      .status(201)
      .json({ inviteLink: inviteLink(invite.token), inviteExpiresAt: invite.expiresAt.toISOString() });
  });

  router.post('/:id/deactivate', async (req, res) => {
    const user = await target(req.params.id as string);
    if (user.id === actorId(res))
      throw new Conflict('self', 'You cannot deactivate yourself; ask another admin');
    if (user.role === 'admin' && user.active && (await countActiveAdmins(db)) <= 1)
      throw new Conflict('last_admin', 'This is the last active admin; make someone else admin first');
    const released = await db.transaction((tx) => deactivateStaff(tx as unknown as Db, user.id, clock.now()));
    options.onReleased(released);
    res.json({ staff: toStaffView({ ...user, active: false }), releasedConversations: released.length });
  });

  router.post('/:id/reactivate', async (req, res) => {
    const user = await target(req.params.id as string);
    if (user.active) throw new InvalidPayload('This person is already active');
    await reactivateStaff(db, user.id);
    res.json({ staff: toStaffView({ ...user, active: true }) });
  });

  return router;
}
