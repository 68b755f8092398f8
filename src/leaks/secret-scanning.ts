/**
 * `POST /_gateway/secret-scanning`: GitHub secret-scanning partner reports (docs/secret-scanning.md).
 * The signature is checked over the raw body before anything is parsed; each reported token is
 * judged by the one key verdict (read-only), and a live key is revoked (or only announced).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { revokeAndPublish } from "../admin/revoke-key";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { problem } from "../gateway/schemas";
import { getKeyRow } from "../keys/store";
import { keyVerdict } from "../verdict/verdict";
import { webhookEvent } from "../webhooks/events";
import { publishAfterWrite } from "../webhooks/publish";
import { publicKey } from "./public-keys";
import { signatureVerifies } from "./signature";

/** The audit `actor` of a revocation a report caused. */
export const SECRET_SCANNING_ACTOR = "secret-scanning";
/** The largest report body taken: GitHub's batches are far smaller. */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** The most tokens one report may hold. */
export const MAX_REPORT_TOKENS = 1000;

const ReportedToken = z
  .object({
    token: z.string().min(1).max(1024),
    type: z.string().max(200),
    url: z.string().max(2000),
    source: z.string().max(100),
  })
  .openapi("LeakedTokenReport");

const Report = z.array(ReportedToken).max(MAX_REPORT_TOKENS);

const Label = z
  .object({ token_raw: z.string(), token_type: z.string(), label: z.enum(["true_positive", "false_positive"]) })
  .openapi("LeakedTokenLabel");

type Label = z.infer<typeof Label>;

/** Documented in the OpenAPI document; served by `secretScanning`, which checks the signature before reading the body as JSON. */
export const secretScanningRoute = createRoute({
  method: "post",
  path: "/secret-scanning",
  operationId: "reportLeakedKeys",
  tags: ["Gateway"],
  summary: "Leaked-key reports from GitHub secret scanning",
  description:
    "GitHub's secret-scanning partner alerts, signed with ECDSA P-256 / SHA-256 over the raw body. Each token is labelled `true_positive` when it is a live key of this gateway; with `LEAKED_KEY_ACTION = revoke` the key is revoked and `key.leaked` sent.",
  security: [{ githubSignature: [] }],
  request: {
    headers: z.object({
      "github-public-key-identifier": z.string().openapi({ description: "Which of GitHub's published keys signed the body." }),
      "github-public-key-signature": z.string().openapi({ description: "Base64 DER ECDSA signature of the raw body." }),
    }),
    body: { required: true, content: { "application/json": { schema: Report } } },
  },
  responses: {
    200: { description: "One label per reported token, in order", content: { "application/json": { schema: z.array(Label) } } },
    400: problem("The body is not a JSON array of `{token, type, url, source}` (at most 1000)."),
    401: problem("The signature is missing, from an unknown key, or does not verify (`invalid_token`); nothing was changed."),
    413: problem("The body is over 1 MiB (`payload_too_large`)."),
    503: problem("GitHub's public keys could not be read, or the key store is unreachable: GitHub retries the report."),
  },
});

const unsigned = (detail: string) => new GatewayError("invalid_token", detail);

/** Reads the body up to `MAX_REPORT_BYTES`, then the report's signature must verify before anything else. */
export function secretScanning() {
  const limit = bodyLimit({
    maxSize: MAX_REPORT_BYTES,
    onError: () => {
      throw new GatewayError("payload_too_large", `A report may be at most ${MAX_REPORT_BYTES} bytes.`);
    },
  });
  return [limit, handleReport] as const;
}

async function handleReport(c: Context<GatewayEnv>): Promise<Response> {
  const identifier = c.req.header("github-public-key-identifier");
  const signature = c.req.header("github-public-key-signature");
  if (!identifier || !signature) throw unsigned("A report needs the Github-Public-Key-Identifier and Github-Public-Key-Signature headers.");
  const body = new Uint8Array(await c.req.arrayBuffer());
  const { secretScanning } = c.get("config");
  let key: CryptoKey | undefined;
  try {
    key = await publicKey(secretScanning.keysUrl, identifier);
  } catch (error) {
    throw new GatewayError("gateway_misconfigured", "GitHub's secret-scanning public keys could not be read; retry later.", {
      cause: error,
    });
  }
  if (!key) throw unsigned("The report is signed with a key GitHub does not publish.");
  if (!(await signatureVerifies(key, body, signature))) throw unsigned("The report's signature does not verify.");
  const report = Report.safeParse(parseJson(body));
  if (!report.success) {
    throw new GatewayError("invalid_request", `The body must be a JSON array of at most ${MAX_REPORT_TOKENS} {token, type, url, source}.`);
  }
  const labels: Label[] = [];
  const judged = new Map<string, Label["label"]>();
  for (const reported of report.data) {
    const label = judged.get(reported.token) ?? (await judgeToken(c, reported));
    judged.set(reported.token, label);
    labels.push({ token_raw: reported.token, token_type: reported.type, label });
  }
  return c.json(labels, 200);
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/** A live key of this gateway (own format or imported) is a true positive: revoked (or announced) and labelled so. */
async function judgeToken(c: Context<GatewayEnv>, reported: z.infer<typeof ReportedToken>): Promise<Label["label"]> {
  const verdict = await keyVerdict(c, {
    presented: [{ value: reported.token }],
    auth: "required",
    route: undefined,
    usageRoute: "/_gateway/secret-scanning",
    ip: undefined,
    cost: 0,
    scopes: [],
    mode: "read",
  });
  const code = verdict.refusal?.code;
  // A spent rate limit or quota leaves the key live: it works again later.
  const live = verdict.record && (code === undefined || code === "rate_limited" || code === "quota_exceeded");
  if (!live || !verdict.record) return "false_positive";
  const row = await getKeyRow(database(c.env.DB), verdict.record.id);
  if (!row || row.revokedAt !== null) return "false_positive";
  const now = Date.now();
  const action = c.get("config").secretScanning.leakedKeyAction;
  if (action === "revoke") await revokeAndPublish(c, row, SECRET_SCANNING_ACTOR, { url: reported.url, source: reported.source });
  const data = {
    keyId: row.id,
    name: row.name,
    owner: row.owner,
    url: reported.url,
    source: reported.source,
    tokenType: reported.type,
    action,
    reportedAt: new Date(now).toISOString(),
  };
  await publishAfterWrite(c.env, webhookEvent("key.leaked", data, now));
  return "true_positive";
}
