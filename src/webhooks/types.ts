import type { Statement } from "../db";
import type { WebhookEvent } from "../db/schema";
import type { Config } from "../env";
import type { ServiceContext } from "../lib/context";
import type { Notice } from "../notifications/notices";
import type { BillingProvider, PaidProvider } from "../payments/provider";

/** An event whose signature checked out, ready to be stored. */
export interface VerifiedEvent {
  providerEventId: string;
  type: string;
  /** The provider's timestamp for the event (ms). */
  occurredAt: number;
}

/** Verifies a provider's webhook request. Throws ApiError("invalid_signature") when it fails. */
export interface WebhookVerifier {
  verify(request: Request, rawBody: string, config: Config, now: number): Promise<VerifiedEvent>;
}

export interface EventContext extends ServiceContext {
  event: WebhookEvent;
  /** The provider's API, for handlers that re-fetch an object (never on the receive path). */
  provider: () => BillingProvider;
}

/**
 * What applying an event changes: statements that go in ONE batch with marking the event
 * processed, the users whose RateLimiter must be re-synced after the commit, outbox email ids
 * to enqueue after the commit, and what the users are told (stored in the same batch).
 */
export interface EventEffect {
  statements: Statement[];
  syncUsers: string[];
  emails: string[];
  notices?: Notice[];
}

export type EventHandler = (context: EventContext, payload: unknown) => Promise<EventEffect>;

export interface ProviderWebhooks {
  provider: PaidProvider;
  verifier: WebhookVerifier;
  /** Event type → handler. Types without a handler are stored and marked `ignored`. */
  handlers: Record<string, EventHandler>;
}

export const noEffect = (): EventEffect => ({ statements: [], syncUsers: [], emails: [] });
