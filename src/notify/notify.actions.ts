// SetMessageCallback, GetMessageCallback, DeleteMessageCallback (reference §8, events-and-more §3),
// and OpenVOD's delivery-log extensions ListEventDeliveries and RedeliverEvents.
import type { ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { missing } from '../domain/errors.js';
import { DEFAULT_APP_ID } from '../domain/storage.js';
import { listDeliveryLog, MAX_EVENT_IDS, redeliverAllDead, redeliverEvents } from './delivery-log.service.js';
import { applyMessageCallbackChange, checkAppId } from './message-callback.rules.js';
import { deleteMessageCallback, findMessageCallback, saveMessageCallback } from './message-callback.repository.js';

const appIdOf = (p: Params): string => checkAppId(p.get('AppId') ?? DEFAULT_APP_ID);

export const notifyActions: ActionTable = {
  async SetMessageCallback(ctx, p) {
    const appId = appIdOf(p);
    const db = ctx.deps.store.db;
    await db.transaction().execute(async (trx) => {
      const current = await findMessageCallback(trx, appId);
      const next = applyMessageCallbackChange(appId, current, {
        callbackType: p.get('CallbackType'),
        callbackUrl: p.get('CallbackURL'),
        // Present but empty = every event off; absent = unchanged.
        eventTypeList: p.raw('EventTypeList'),
        authSwitch: p.get('AuthSwitch'),
        authKey: p.get('AuthKey'),
        mnsEndpoint: p.get('MnsEndpoint'),
        mnsQueueName: p.get('MnsQueueName'),
      }, { allowPrivate: ctx.deps.config.allowPrivateNetworks });
      await saveMessageCallback(trx, next, ctx.nowMs);
    });
    ctx.log.info({ appId }, 'message callback configured');
    return {};
  },

  async GetMessageCallback(ctx, p) {
    const appId = appIdOf(p);
    const c = await findMessageCallback(ctx.deps.store.db, appId);
    // No configuration: an object with only the AppId, so `MessageCallback.CallbackURL` reads as
    // absent rather than throwing in clients that do not expect the key to be missing.
    if (!c) return { MessageCallback: { AppId: appId } };
    const view: Record<string, string> = {
      AppId: c.appId, CallbackType: c.callbackType, CallbackURL: c.callbackUrl, EventTypeList: c.eventTypes, AuthSwitch: c.authSwitch,
    };
    if (c.authKey !== '') view.AuthKey = c.authKey;
    return { MessageCallback: view };
  },

  async DeleteMessageCallback(ctx, p) {
    const appId = appIdOf(p);
    const removed = await deleteMessageCallback(ctx.deps.store.db, appId);
    ctx.log.info({ appId, removed }, 'message callback deleted');
    return {};
  },

  async ListEventDeliveries(ctx, p) {
    const pageNo = p.int('PageNo', { min: 1 }) ?? 1;
    const pageSize = p.int('PageSize', { min: 1, max: 100 }) ?? 20;
    const sortBy = p.oneOf('SortBy', ['CreationTime:Desc', 'CreationTime:Asc'] as const) ?? 'CreationTime:Desc';
    const { total, deliveries } = await listDeliveryLog(ctx.deps.store, {
      appId: p.get('AppId'), mediaId: p.get('VideoId') ?? p.get('MediaId'), eventType: p.get('EventType'), status: p.get('Status'),
      startTime: p.get('StartTime'), endTime: p.get('EndTime'), eventIds: p.list('EventIds', { max: MAX_EVENT_IDS }),
    }, { pageNo, pageSize, ascending: sortBy === 'CreationTime:Asc' });
    return { Total: total, PageNo: pageNo, PageSize: pageSize, DeliveryList: deliveries };
  },

  async RedeliverEvents(ctx, p) {
    const eventIds = p.list('EventIds', { max: MAX_EVENT_IDS }) ?? p.list('DeliveryIds', { max: MAX_EVENT_IDS });
    if (eventIds !== undefined) {
      const r = await redeliverEvents(ctx.deps.store, eventIds, ctx.nowMs);
      return {
        RedeliveredCount: r.redelivered.length, RedeliveredEventIds: r.redelivered, PendingEventIds: r.alreadyPending, NonExistEventIds: r.nonExistent,
      };
    }
    if (p.bool('AllDead') !== true) throw missing('EventIds');
    const count = await redeliverAllDead(ctx.deps.store, {
      appId: p.get('AppId'), mediaId: p.get('VideoId') ?? p.get('MediaId'), eventType: p.get('EventType'),
      startTime: p.get('StartTime'), endTime: p.get('EndTime'),
    }, ctx.nowMs);
    return { RedeliveredCount: count };
  },
};
