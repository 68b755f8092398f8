// Screenshots of the dashboard's and the portal's views at both widths, to look at (test-artifacts/<folder>/,
// git-ignored), taken with SCREENSHOTS=1, or UPDATE_DOC_SCREENSHOTS=1, which also copies those the docs show into
// docs/images. Not on a plain `npm test`: a full-page PNG costs the single-process Chromium about a quarter second of
// CPU (4.5 s of dashboard.test.ts's 31). Every run still lays each view out at both widths.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { ROOT } from "../../../scripts/build.ts";

/** The widths every view is laid out at: a desktop and a phone. */
export const WIDTHS = [1440, 390] as const;

const DOC_IMAGES = join(ROOT, "docs/images");

export interface ShotOptions {
  /** The widths whose shot a docs page shows (docs/images/<folder>-<name>-<width>.png); `true` for both. */
  docs?: boolean | readonly number[];
  /** The whole page rather than the viewport. */
  fullPage?: boolean;
}

export type Shoot = (name: string, options?: ShotOptions) => Promise<void>;

/** `shoot(name)` for the page `current()` returns: each width in turn, a screenshot when asked, then back to the first. */
export function screenshots(current: () => Page, folder: "dashboard" | "portal"): Shoot {
  const updateDocs = process.env.UPDATE_DOC_SCREENSHOTS === "1";
  const take = updateDocs || process.env.SCREENSHOTS === "1";
  const dir = join(ROOT, "test-artifacts", folder);
  if (take) mkdirSync(dir, { recursive: true });
  return async (name, { docs = false, fullPage = true } = {}) => {
    const page = current();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(() => new Promise(requestAnimationFrame));
      if (!take) continue;
      const path = join(dir, `${name}-${width}.png`);
      await page.screenshot({ path, fullPage });
      if (updateDocs && (docs === true || (Array.isArray(docs) && docs.includes(width))))
        copyFileSync(path, join(DOC_IMAGES, `${folder}-${name}-${width}.png`));
    }
    await page.setViewportSize({ width: WIDTHS[0], height: 900 });
  };
}
