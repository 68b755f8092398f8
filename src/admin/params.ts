// Parameters the admin routes share: the key id in the path, and the page size, cursor and `nextCursor` of every list.
import { z } from "@hono/zod-openapi";

export const KeyIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "key_3ZbV8kq1t4NfW2xYpQ7mHs" }),
});

export const pageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(50)
  .openapi({ param: { name: "limit", in: "query" }, description: "Page size.", example: 50 });

export const pageCursor = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .openapi({
    param: { name: "cursor", in: "query" },
    description: "Opaque: the `nextCursor` of the previous page of the same list, passed back unchanged. Its format may change.",
  });

export const nextCursor = z
  .string()
  .nullable()
  .openapi({ description: "Opaque: pass it as `cursor` for the next page; null on the last page." });
