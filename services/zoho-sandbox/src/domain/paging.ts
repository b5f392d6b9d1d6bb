import { invalidValue } from "./zoho-error.js";

export interface Paging {
  readonly page: number;
  readonly perPage: number;
}

/** Zoho's page_context, as Books documents it (assumed for Inventory). */
export interface PageContext {
  readonly page: number;
  readonly per_page: number;
  readonly has_more_page: boolean;
}

/** Zoho's defaults: page 1, 200 per page, and 200 is the most a page holds. */
export const MAX_PER_PAGE = 200;

export function parsePaging(query: URLSearchParams): Paging {
  return {
    page: positiveInt(query.get("page"), "page", 1, Number.MAX_SAFE_INTEGER),
    perPage: positiveInt(query.get("per_page"), "per_page", MAX_PER_PAGE, MAX_PER_PAGE),
  };
}

function positiveInt(raw: string | null, name: string, fallback: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidValue(`Invalid value passed for ${name}`);
  }
  return value;
}

export function paginate<T>(all: readonly T[], paging: Paging): { page: T[]; page_context: PageContext } {
  const start = (paging.page - 1) * paging.perPage;
  return {
    page: all.slice(start, start + paging.perPage),
    page_context: { page: paging.page, per_page: paging.perPage, has_more_page: all.length > start + paging.perPage },
  };
}
