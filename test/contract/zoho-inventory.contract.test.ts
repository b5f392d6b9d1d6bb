import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@t2m/platform";
import { ZohoInventoryClient } from "@t2m/provisioning";
import { startZohoSandbox, type RunningZohoSandbox } from "@t2m/zoho-sandbox";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * Contract tests for Zoho Inventory v1: what the Zoho sandbox answers and
 * what our Zoho client sends must both conform to Zoho's published OpenAPI
 * (./zoho-inventory/*.yml: a copy of the API Evangelist profile of Zoho's
 * contract, snapshot 2026-08-22; see the README there).
 *
 * Where the contract and shared/reference/zoho-api.md disagree, or the
 * contract says too little, this file decides explicitly:
 * 1. Create sales order answers: the contract names the node `sales_order`;
 *    the live API (and clients reading it) use `salesorder`, which the
 *    sandbox emits. The test requires `salesorder`, forbids `sales_order`,
 *    and validates the node against the contract's `sales_order` schema.
 * 2. The contract marks nothing required in any answer, so an empty object
 *    would pass. Each answer must also carry what the client reads
 *    (`clientNeeds` below); that is our requirement, not Zoho's.
 * 3. Error answers have no schema in the contract; they are checked against
 *    the envelope zoho-api.md documents: {code: integer, message: string}.
 * 4. The token endpoint is not in these files; it is covered by the
 *    sandbox's and the client's own tests.
 * 5. The contract requires salesorder_number in every create request, the
 *    reference only with ignore_auto_number_generation=true. The client
 *    always sends both, so the stricter rule applies unchanged.
 * 6. `page_context` (Books documents it; assumed for Inventory) is absent
 *    from the list schemas; they allow extra properties, so it passes as is.
 * 7. `GET /salesorders` declares only page and per_page. The client finds
 *    a sales order by number with the `salesorder_number` filter, and the
 *    sandbox also filters by `reference_number`: Books v3 documents both
 *    (zoho-api.md), Inventory's contract does not [U]. The test accepts
 *    exactly these two extra string parameters on this one operation
 *    (`extraQueryParameters`); the client checks the number itself, so a
 *    Zoho that ignored the filter would make it find nothing, never
 *    another order.
 * 8. The bulk confirmation's answer lists refused ids in
 *    data.email_error_info[], whose items the contract leaves open
 *    (`properties: {}`); the sandbox puts {code, message, ids} there.
 */

// ---------------------------------------------------------------------------
// Locating and loading the contracts

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), "zoho-inventory");
const contractFiles = existsSync(contractsDir) ? readdirSync(contractsDir).filter((f) => f.endsWith(".yml")).sort() : [];
if (contractFiles.length === 0) throw new Error(`no Zoho Inventory contracts in ${contractsDir} (see its README.md)`);

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApiPathItem = { parameters?: OpenApiParameter[] } & Partial<Record<"get" | "post" | "put" | "delete", OpenApiOperation>>;
interface OpenApiParameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: unknown;
}
interface OpenApiDocument {
  paths: Record<string, OpenApiPathItem>;
  components?: { schemas?: Record<string, unknown>; parameters?: Record<string, OpenApiParameter> };
}
interface Contract {
  readonly file: string;
  readonly id: string;
  readonly doc: OpenApiDocument;
}

const contracts: Contract[] = contractFiles.map((file) => ({
  file,
  id: `https://contracts.t2m.test/zoho-inventory/${file}`,
  doc: parse(readFileSync(join(contractsDir, file), "utf8")) as OpenApiDocument,
}));

// ---------------------------------------------------------------------------
// OpenAPI 3.0 schemas → JSON Schema for ajv

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Drops OpenAPI-only keywords (example, x-*), turns `nullable` into a null type, and points $refs at the contract's $defs. */
function openApiToJsonSchema(node: unknown, contractId: string): unknown {
  if (Array.isArray(node)) return node.map((n) => openApiToJsonSchema(n, contractId));
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key === "nullable" || key === "xml" || key === "externalDocs" || key.startsWith("x-")) continue;
    if (key === "$ref" && typeof value === "string") {
      if (!value.startsWith("#/components/schemas/")) throw new Error(`${contractId}: unsupported $ref ${value}`);
      out.$ref = `${contractId}#/$defs/${value.slice("#/components/schemas/".length)}`;
    } else if (key === "properties" && isObject(value)) {
      // Property names are data, not keywords: a property may well be called "example".
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, openApiToJsonSchema(schema, contractId)]));
    } else {
      out[key] = openApiToJsonSchema(value, contractId);
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

// ajv-formats is CommonJS: its plugin is the module object's `default`, in Node's ESM interop and in its types.
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI's numeric formats, which JSON Schema does not define.
ajv.addFormat("double", { type: "number", validate: Number.isFinite });
ajv.addFormat("float", { type: "number", validate: Number.isFinite });
ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: Number.isSafeInteger });
for (const contract of contracts) {
  ajv.addSchema({ $id: contract.id, $defs: openApiToJsonSchema(contract.doc.components?.schemas ?? {}, contract.id) });
}

const validators = new Map<unknown, ValidateFunction>();
function validatorFor(schema: unknown, contract: Contract): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(openApiToJsonSchema(schema, contract.id) as object);
    validators.set(schema, validate);
  }
  return validate;
}

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}`).join("; ");

// ---------------------------------------------------------------------------
// Finding the contract for a request

const API_BASE = "/inventory/v1";
type Method = "get" | "post" | "put" | "delete";

interface ContractOperation {
  readonly contract: Contract;
  readonly template: string;
  readonly method: Method;
  readonly operation: OpenApiOperation;
  readonly parameters: OpenApiParameter[];
  readonly pathParams: Record<string, string>;
}

/** The contract operation for a concrete method and path; literal segments win over {params}. */
function contractOperationFor(method: string, apiPath: string): ContractOperation {
  const candidates: (ContractOperation & { paramCount: number })[] = [];
  for (const contract of contracts) {
    for (const [template, pathItem] of Object.entries(contract.doc.paths)) {
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "([^/]+)")}$`);
      const match = pattern.exec(apiPath);
      const operation = pathItem[method.toLowerCase() as Method];
      if (!match || !operation) continue;
      const resolveParam = (p: OpenApiParameter) => (p.$ref ? contract.doc.components?.parameters?.[p.$ref.split("/").pop()!] ?? p : p);
      candidates.push({
        contract,
        template,
        method: method.toLowerCase() as Method,
        operation,
        parameters: [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map(resolveParam),
        pathParams: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)])),
        paramCount: names.length,
      });
    }
  }
  candidates.sort((a, b) => a.paramCount - b.paramCount);
  const found = candidates[0];
  if (!found) throw new ContractViolation(`${method} ${API_BASE}${apiPath} is not in any contract`);
  return found;
}

class ContractViolation extends Error {}

/** Query parameters accepted beyond the contract's (deviation 7). */
const extraQueryParameters: Record<string, OpenApiParameter[]> = {
  "get /salesorders": [
    { name: "salesorder_number", in: "query", schema: { type: "string" } },
    { name: "reference_number", in: "query", schema: { type: "string" } },
  ],
};

/** The contract's rules for one request: declared and required parameters, their types, and the JSON body. */
function requestViolations(op: ContractOperation, query: URLSearchParams, body: unknown): string[] {
  const where = `${op.method.toUpperCase()} ${op.template} (${op.contract.file})`;
  const problems: string[] = [];
  const parameters = [...op.parameters, ...(extraQueryParameters[`${op.method} ${op.template}`] ?? [])];
  const declared = new Map(parameters.filter((p) => p.in === "query").map((p) => [p.name!, p]));
  for (const parameter of declared.values()) {
    if (parameter.required && !query.has(parameter.name!)) problems.push(`${where}: required query parameter ${parameter.name} is missing`);
  }
  for (const [name, raw] of query) {
    const parameter = declared.get(name);
    if (!parameter) {
      problems.push(`${where}: query parameter ${name} is not in the contract`);
      continue;
    }
    const value = queryValue(parameter.schema, raw);
    const validate = validatorFor(parameter.schema ?? {}, op.contract);
    if (!validate(value)) problems.push(`${where}: query parameter ${name}=${raw}: ${describeErrors(validate.errors)}`);
  }
  const bodySchema = op.operation.requestBody?.content?.["application/json"]?.schema;
  if (body !== undefined && !bodySchema) problems.push(`${where}: the contract takes no JSON body`);
  if (body === undefined && bodySchema) problems.push(`${where}: the contract expects a JSON body`);
  if (body !== undefined && bodySchema) {
    const validate = validatorFor(bodySchema, op.contract);
    if (!validate(body)) problems.push(`${where}: request body: ${describeErrors(validate.errors)}`);
  }
  return problems;
}

/** Query strings carry text; the contract types them (integer page, boolean flag). */
function queryValue(schema: unknown, raw: string): unknown {
  const type = isObject(schema) ? schema.type : undefined;
  if ((type === "integer" || type === "number") && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  if (type === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}

/** What the client reads from each answer; the contract requires none of it (see 2. above). */
const clientNeeds: Record<string, object> = {
  "get /items": { required: ["code", "message", "items"], properties: { items: { items: { required: ["item_id", "sku", "name", "status"] } } } },
  "get /contacts": { required: ["code", "message", "contacts"], properties: { contacts: { items: { required: ["contact_id", "contact_name", "email", "contact_type"] } } } },
  "post /contacts": { required: ["code", "message", "contact"], properties: { contact: { required: ["contact_id", "contact_name", "contact_persons"] } } },
  "post /salesorders": {
    required: ["code", "message", "salesorder"],
    not: { required: ["sales_order"] },
    properties: { salesorder: { required: ["salesorder_id", "salesorder_number", "customer_id", "status"] } },
  },
  "get /salesorders": {
    required: ["code", "message", "salesorders"],
    properties: { salesorders: { items: { required: ["salesorder_id", "salesorder_number", "customer_id", "status"] } } },
  },
  "get /salesorders/{salesorder_id}": {
    required: ["code", "message", "salesorder"],
    properties: { salesorder: { required: ["salesorder_id", "salesorder_number", "customer_id", "status"] } },
  },
  "post /salesorders/{salesorder_id}/status/confirmed": { required: ["code", "message"] },
  "post /salesorders/{salesorder_id}/status/void": { required: ["code", "message"] },
  // The client reads data.email_success_info[].ids when there is a data node, and takes code 0 alone as success.
  "post /salesorders/status/confirmed": {
    required: ["code", "message"],
    properties: { data: { properties: { email_success_info: { items: { required: ["ids"] } } } } },
  },
};
const clientNeedValidators = new Map(Object.entries(clientNeeds).map(([key, schema]) => [key, ajv.compile(schema)]));
const errorEnvelope = ajv.compile({ type: "object", required: ["code", "message"], properties: { code: { type: "integer" }, message: { type: "string" } } });

function responseViolations(op: ContractOperation, status: number, body: unknown): string[] {
  const key = `${op.method} ${op.template}`;
  const where = `${op.method.toUpperCase()} ${op.template} → ${status} (${op.contract.file})`;
  if (status >= 400) return errorEnvelope(body) ? [] : [`${where}: error answer is not Zoho's envelope: ${describeErrors(errorEnvelope.errors)}`];
  const schema = op.operation.responses?.[String(status)]?.content?.["application/json"]?.schema;
  if (!schema) return [`${where}: the contract defines no ${status} answer for this operation`];
  const problems: string[] = [];
  const needs = clientNeedValidators.get(key);
  if (!needs) problems.push(`${where}: no client needs listed for this operation`);
  else if (!needs(body)) problems.push(`${where}: lacks what the client reads: ${describeErrors(needs.errors)}`);
  // Deviation 1: validate the `salesorder` node against the contract's `sales_order` schema.
  const asContractNames = key === "post /salesorders" && isObject(body) ? { ...withoutKey(body, "salesorder"), sales_order: body.salesorder } : body;
  const validate = validatorFor(schema, op.contract);
  if (!validate(asContractNames)) problems.push(`${where}: ${describeErrors(validate.errors).replaceAll("/sales_order/", "/salesorder/")}`);
  return problems;
}

function withoutKey(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = record;
  return rest;
}

// ---------------------------------------------------------------------------
// The client under test and its traffic to the sandbox

interface RecordedExchange {
  readonly method: string;
  readonly url: URL;
  readonly authorization: string | null;
  readonly requestBody: unknown;
  readonly status: number;
  readonly responseBody: unknown;
}

let sandbox: RunningZohoSandbox;
const exchanges: RecordedExchange[] = [];

/** fetch that keeps a copy of every Inventory API exchange, as sent and as received. */
const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.pathname.startsWith(`${API_BASE}/`)) {
    const text = await response.clone().text();
    exchanges.push({
      method: init?.method ?? "GET",
      url,
      authorization: new Headers(init?.headers).get("authorization"),
      requestBody: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : init?.body == null ? undefined : init.body,
      status: response.status,
      responseBody: JSON.parse(text) as unknown,
    });
  }
  return response;
};

beforeAll(async () => {
  sandbox = await startZohoSandbox();
  const client = new ZohoInventoryClient({
    accountsUrl: sandbox.url,
    apiUrl: sandbox.apiUrl,
    organizationId: sandbox.organizationId,
    ...sandbox.credentials,
    logger: createLogger("zoho-contract-test", "silent"),
    fetch: recordingFetch,
  });
  // Every call provisioning makes, as it makes them: a new customer's
  // first order (item, contact lookup, new contact, draft), the same
  // number again (refused) and found by number, confirmed alone, read;
  // two more confirmed in bulk, one voided.
  const item = await client.findItemBySku("ZOHO-CRM-STD");
  if (!item) throw new Error("the sandbox has no ZOHO-CRM-STD item");
  const customer = { name: "John Doe", email: "john@example.com", phone: "08012345678", notes: "T2Mobile customer T2M_USER_9001" };
  const contact = (await client.findContactByEmail(customer.email)) ?? (await client.createContact(customer));
  const draft = (number: string) =>
    client.createSalesOrder({
      salesorderNumber: number,
      customerId: contact.contactId,
      date: "2026-03-01",
      referenceNumber: number,
      lineItems: [{ itemId: item.itemId, name: "Zoho CRM Standard", description: "Zoho CRM Standard, 12 months", rate: 216000, quantity: 1 }],
    });
  const first = await draft("T2M123456");
  await draft("T2M123456").then(
    () => {
      throw new Error("the sandbox took a sales order number twice");
    },
    () => undefined,
  );
  const found = await client.findSalesOrderByNumber("T2M123456");
  if (found?.salesOrderId !== first.salesOrderId) throw new Error("the filtered lookup did not find the sales order");
  await client.confirmSalesOrder(first.salesOrderId);
  await client.getSalesOrder(first.salesOrderId);
  const [second, third] = [await draft("T2M123457"), await draft("T2M123458")];
  await client.bulkConfirmSalesOrders([second.salesOrderId, third.salesOrderId]);
  await client.voidSalesOrder(third.salesOrderId);
});

afterAll(async () => {
  await sandbox?.close();
});

describe("Zoho Inventory contracts", () => {
  it("are read from the repository's own copy", () => {
    expect(contractFiles).toEqual(expect.arrayContaining(["contacts.yml", "items.yml", "salesorders.yml"]));
  });

  it("catch violations (the checks can fail)", () => {
    const create = contractOperationFor("POST", "/salesorders");
    expect(create.template).toBe("/salesorders");
    const badRequest = requestViolations(create, new URLSearchParams({ ignore_auto_number_generation: "yes" }), {
      salesorder_number: 1001,
      line_items: [{ item_id: "1", rate: "216000.00" }],
    });
    expect(badRequest.join("\n")).toContain("required query parameter organization_id is missing");
    expect(badRequest.join("\n")).toContain("ignore_auto_number_generation=yes: (root) must be boolean");
    expect(badRequest.join("\n")).toContain("must have required property 'customer_id'");
    expect(badRequest.join("\n")).toContain("/salesorder_number must be string");
    expect(badRequest.join("\n")).toContain("/line_items/0/rate must be number");

    const get = contractOperationFor("GET", "/salesorders/4815000000044895");
    expect(get.pathParams).toEqual({ salesorder_id: "4815000000044895" });
    expect(responseViolations(get, 200, { code: 0, message: "success", salesorder: { salesorder_id: 4815000000044895 } }).join("\n")).toContain(
      "/salesorder/salesorder_id must be string",
    );
    expect(responseViolations(create, 201, { code: 0, message: "created", sales_order: {} }).join("\n")).toContain("lacks what the client reads");
    expect(responseViolations(create, 200, { code: 0 })).toEqual([expect.stringContaining("defines no 200 answer")]);

    // Deviation 7 admits the two number filters on the list, and nothing else.
    const list = contractOperationFor("GET", "/salesorders");
    expect(requestViolations(list, new URLSearchParams({ organization_id: "1", salesorder_number: "T2M-1", reference_number: "T2M-1" }), undefined)).toEqual([]);
    expect(requestViolations(list, new URLSearchParams({ organization_id: "1", customer_id: "9" }), undefined).join("\n")).toContain(
      "query parameter customer_id is not in the contract",
    );
    const bulk = contractOperationFor("POST", "/salesorders/status/confirmed");
    expect(requestViolations(bulk, new URLSearchParams({ organization_id: "1" }), undefined).join("\n")).toContain("required query parameter salesorder_ids is missing");
    expect(() => contractOperationFor("GET", "/licences")).toThrow(ContractViolation);
  });

  it("are converted to JSON Schema: OpenAPI's nullable and example keywords, property names left alone", () => {
    expect(openApiToJsonSchema({ type: "string", nullable: true, example: "x", "x-node_available_in": ["in"] }, "c")).toEqual({ type: ["string", "null"] });
    expect(openApiToJsonSchema({ type: "object", properties: { example: { $ref: "#/components/schemas/example" } } }, "c")).toEqual({
      type: "object",
      properties: { example: { $ref: "c#/$defs/example" } },
    });
  });

  it("a literal path segment wins over a {param}", () => {
    expect(contractOperationFor("POST", "/salesorders/status/confirmed").template).toBe("/salesorders/status/confirmed");
    expect(contractOperationFor("POST", "/salesorders/4815000000044895/status/confirmed").template).toBe("/salesorders/{salesorder_id}/status/confirmed");
  });
});

describe("the Zoho client and the Zoho sandbox against the contracts", () => {
  it("exercised every Inventory operation the client uses, successfully at least once", () => {
    const seen = new Set(exchanges.filter((e) => e.status < 300).map((e) => `${e.method} ${contractOperationFor(e.method, apiPath(e.url)).template}`));
    expect([...seen].sort()).toEqual([
      "GET /contacts",
      "GET /items",
      "GET /salesorders",
      "GET /salesorders/{salesorder_id}",
      "POST /contacts",
      "POST /salesorders",
      "POST /salesorders/status/confirmed",
      "POST /salesorders/{salesorder_id}/status/confirmed",
      "POST /salesorders/{salesorder_id}/status/void",
    ]);
    // The refused duplicate is part of the traffic too.
    expect(exchanges.some((e) => e.method === "POST" && e.status === 400)).toBe(true);
  });

  it("every request the client sent conforms to the contract", () => {
    const violations = exchanges.flatMap((e) => {
      const op = contractOperationFor(e.method, apiPath(e.url));
      const auth = /^Zoho-oauthtoken \S+$/.test(e.authorization ?? "") ? [] : [`${e.method} ${op.template}: no Zoho-oauthtoken Authorization header`];
      return [...auth, ...requestViolations(op, e.url.searchParams, e.requestBody)];
    });
    expect(violations).toEqual([]);
  });

  it("every answer the sandbox gave conforms to the contract", () => {
    const violations = exchanges.flatMap((e) => responseViolations(contractOperationFor(e.method, apiPath(e.url)), e.status, e.responseBody));
    expect(violations).toEqual([]);
  });
});

function apiPath(url: URL): string {
  return url.pathname.slice(API_BASE.length);
}
