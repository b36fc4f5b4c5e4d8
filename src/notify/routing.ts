// Where one event goes, decided at each attempt from the app's current configuration (so a fixed
// URL or a rotated AuthKey applies to retries already queued). Reference §8:
// - nothing is sent unless the app has a callback configuration whose EventTypeList selects the
//   event's type — this holds for UserData overrides too ("overrides only work if global
//   notifications are enabled with event types selected … event types sent = global selection");
// - UserData.MessageCallback.CallbackURL of the media (captured when the event was recorded)
//   overrides the app's CallbackURL;
// - AuthSwitch/AuthKey of the app sign every callback of the app, overridden URLs included.
import { selectsEventType } from './event-types.js';
import type { MessageCallbackSettings } from './message-callback.rules.js';

export type Route =
  | { readonly kind: 'send'; readonly url: string; readonly authKey: string | undefined; readonly overridden: boolean }
  | { readonly kind: 'skip'; readonly reason: string };

export interface Routable {
  readonly appId: string;
  readonly eventType: string;
  readonly overrideUrl: string | null;
}

export function routeEvent(event: Routable, config: MessageCallbackSettings | undefined): Route {
  if (config === undefined) return { kind: 'skip', reason: `no callback is configured for ${event.appId} (SetMessageCallback)` };
  if (!selectsEventType(config.eventTypes, event.eventType)) {
    return { kind: 'skip', reason: `${event.eventType} is not selected in the EventTypeList of ${event.appId}` };
  }
  const authKey = config.authSwitch === 'on' && config.authKey !== '' ? config.authKey : undefined;
  if (event.overrideUrl !== null && event.overrideUrl !== '') return { kind: 'send', url: event.overrideUrl, authKey, overridden: true };
  return { kind: 'send', url: config.callbackUrl, authKey, overridden: false };
}
