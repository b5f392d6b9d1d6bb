import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  TimeoutError,
} from "@nats-io/transport-node";
import { MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError } from "mongodb";

/**
 * True when an error means NATS or MongoDB could not be reached (rather than
 * a bug or a bad request): callers should be told to retry, not that we broke.
 */
export function isDependencyUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof ConnectionError ||
    err instanceof ClosedConnectionError ||
    err instanceof DrainingConnectionError ||
    err instanceof NoRespondersError ||
    err instanceof TimeoutError
  );
}
