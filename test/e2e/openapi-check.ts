// Checks a real response of the gateway against the OpenAPI document it
// serves: the status is documented for the operation, the content type is
// the documented one, the body validates against the documented schema
// (JSON Schema 2020-12, by JSON pointer into the document), and a success
// carries the headers documented for it.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { ApiResponse } from "./support.js";

const DOC_ID = "https://t2mobile.test/openapi.json";
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

export function documentChecker(document: any) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default(ajv);
  ajv.addSchema({ ...document, $id: DOC_ID });

  /** Problems with `res` as the answer to `method path` (path as in the document: /t2mobile/orders/{orderId}); empty when it conforms. */
  return (method: string, path: string, res: ApiResponse): string[] => {
    const operation = document.paths?.[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path} is not in the document`];
    const documented = operation.responses?.[String(res.status)];
    if (!documented) return [`${method} ${path} answered ${res.status}, which the document does not list (it lists ${Object.keys(operation.responses).join(", ")})`];
    const problems: string[] = [];
    const types = Object.keys(documented.content ?? {});
    if (types.length === 0) {
      if (res.body !== "" && res.body !== undefined) problems.push(`${res.status} is documented without a body, but one came`);
    } else {
      const type = types.find((t) => res.contentType.startsWith(t));
      if (!type) problems.push(`content type ${res.contentType} is not one of ${types.join(", ")}`);
      else if (documented.content[type].schema && type.endsWith("json")) {
        const ref = `${DOC_ID}#/${pointer("paths", path, method.toLowerCase(), "responses", String(res.status), "content", type, "schema")}`;
        const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
        if (!validate(res.body)) problems.push(`body does not match the documented schema: ${ajv.errorsText(validate.errors)}`);
      }
    }
    if (res.status < 300) {
      for (const name of Object.keys(documented.headers ?? {})) {
        if (name === "Idempotent-Replayed" && res.status !== 200) continue;
        if (!res.headers.has(name)) problems.push(`documented header ${name} missing`);
      }
    }
    const code = res.body?.code;
    if (res.status >= 400 && (code === "RATE_LIMITED" || code === "IDEMPOTENCY_KEY_IN_USE") && !res.headers.has("retry-after")) problems.push("Retry-After missing");
    return problems;
  };
}
