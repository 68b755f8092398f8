/**
 * The one Analytics Engine data point written per proxied or refused request. This is the only
 * place its layout is defined; docs/usage.md mirrors it.
 *
 *   index1   key id, or "anonymous" (never the key itself)
 *   blob1    route path pattern as configured ("/v1/*"), or "" when no route matched
 *   blob2    HTTP method
 *   blob3    outcome: "allowed" for a proxied request, else the error code ("rate_limited", …)
 *   blob4    key owner, or ""
 *   double1  response status
 *   double2  latency in milliseconds, request received → response headers sent
 *   double3  request body bytes (Content-Length; 0 when absent or streamed without one)
 *   double4  response body bytes (Content-Length; 0 when absent or streamed without one)
 */
export interface UsageEvent {
  keyId: string | undefined;
  owner: string | null | undefined;
  route: string | undefined;
  method: string;
  outcome: string;
  status: number;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
}

export const ANONYMOUS_INDEX = "anonymous";

/** Writes the event's data point when the dataset is bound; a failed write never fails the request. */
export function writeUsage(dataset: AnalyticsEngineDataset | undefined, event: UsageEvent): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint(toDataPoint(event));
  } catch (writeError) {
    console.warn(`usage data point not written: ${String(writeError)}`);
  }
}

export function toDataPoint(event: UsageEvent): AnalyticsEngineDataPoint {
  return {
    indexes: [event.keyId ?? ANONYMOUS_INDEX],
    blobs: [event.route ?? "", event.method, event.outcome, event.owner ?? ""],
    doubles: [event.status, event.latencyMs, event.requestBytes, event.responseBytes],
  };
}
