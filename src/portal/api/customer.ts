// What every portal API route shares: the customer's keys, found by id so that another customer's
// id is answered exactly like an unknown one.
import type { Context } from "hono";
import { database } from "../../db/client";
import type { KeyRow, KeySecretRow } from "../../db/schema";
import type { PortalEnv } from "../../env";
import { GatewayError } from "../../errors";
import { getKeyRow, listKeyRows } from "../../keys/store";

/** The customer's key with this id; any other (unknown, or another customer's) is `404 not_found`, told apart by nothing. */
export async function ownKey(c: Context<PortalEnv>, id: string): Promise<KeyRow> {
  const key = await getKeyRow(database(c.env.DB), id);
  if (!key || key.identityId !== c.get("customer").identityId) throw new GatewayError("not_found", `No key with id ${id}.`);
  return key;
}

/** Every key of the identity with its secrets, oldest id first (a customer holds at most a plan's few). */
export async function identityKeys(c: Context<PortalEnv>, identityId: string): Promise<{ key: KeyRow; secrets: KeySecretRow[] }[]> {
  const db = database(c.env.DB);
  const all: { key: KeyRow; secrets: KeySecretRow[] }[] = [];
  let afterId: string | undefined;
  do {
    const page = await listKeyRows(db, { identityId, limit: 100, ...(afterId && { afterId }) });
    for (const key of page.keys) all.push({ key, secrets: page.secrets.get(key.id) ?? [] });
    afterId = page.lastId;
  } while (afterId);
  return all;
}
