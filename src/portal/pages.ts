// The sign-in's own small HTML answers (a failed sign-in, signed out): plain, self-contained, no script.
import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { LOGIN_PATH } from "./session";

/** A page saying what happened and offering to sign in again; every value is escaped by `html`. */
export function messagePage(c: Context, status: ContentfulStatusCode, title: string, message: string): Response | Promise<Response> {
  return c.html(
    html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body>
<main>
<h1>${title}</h1>
<p>${message}</p>
<p><a href="${LOGIN_PATH}">Sign in</a></p>
</main>
</body>
</html>`,
    status,
  );
}
