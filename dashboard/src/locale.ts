// A locale every page can format with. A browser started under a POSIX locale (LANG=C) reports
// `navigator.language` as `en-US@posix`, which Intl refuses with a RangeError: a chart library that
// formats with it throws on load and the page stays blank. Imported first by each page's entry, this
// replaces such a tag with the nearest one Intl accepts, before any other module reads it.

const FALLBACK = "en-US";

function accepted(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1 && new Intl.NumberFormat(tag) !== undefined;
  } catch {
    return false;
  }
}

/** The tag if Intl takes it, else its POSIX form turned into BCP 47 (`de_DE.UTF-8@euro` → `de-DE`), else `en-US`. */
export function safeLocale(tag: string | undefined): string {
  if (tag && accepted(tag)) return tag;
  const base = tag?.split(/[.@]/)[0]?.replace(/_/g, "-");
  return base && base !== "C" && base !== "POSIX" && accepted(base) ? base : FALLBACK;
}

/** Overrides `navigator.language(s)` on this page when the browser's own would be refused. */
function patchNavigator(): void {
  if (typeof navigator === "undefined") return;
  const language = safeLocale(navigator.language);
  const languages = (navigator.languages ?? []).map(safeLocale);
  if (language === navigator.language && languages.every((tag, i) => tag === navigator.languages[i])) return;
  Object.defineProperty(navigator, "language", { value: language, configurable: true });
  Object.defineProperty(navigator, "languages", { value: Object.freeze(languages.length ? languages : [language]), configurable: true });
}

patchNavigator();
