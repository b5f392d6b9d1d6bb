import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * GET /t2mobile/docs: Swagger UI (the swagger-ui-dist package, served from
 * this process: no CDN, nothing fetched from elsewhere) rendering
 * /t2mobile/openapi.json. The page's script is a file of its own, so the
 * Content-Security-Policy allows scripts from this origin only.
 */
export interface DocsAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const DIST = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const asset = (body: Buffer | string, contentType: string): DocsAsset => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: bytes, contentType, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"` };
};

export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsAssets(base = "/t2mobile/docs"): { page: DocsAsset; files: ReadonlyMap<string, DocsAsset> } {
  const page = asset(
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>T2Mobile fulfilment API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="api-docs"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`,
    "text/html; charset=utf-8",
  );
  const init = `window.ui = SwaggerUIBundle({
  url: "/t2mobile/openapi.json",
  dom_id: "#api-docs",
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  validatorUrl: null,
  tryItOutEnabled: false,
});
`;
  const files = new Map<string, DocsAsset>([
    ["swagger-ui.css", asset(readFileSync(join(DIST, "swagger-ui.css")), "text/css; charset=utf-8")],
    ["swagger-ui-bundle.js", asset(readFileSync(join(DIST, "swagger-ui-bundle.js")), "text/javascript; charset=utf-8")],
    ["init.js", asset(init, "text/javascript; charset=utf-8")],
  ]);
  return { page, files };
}
