// One port serves every protocol: Connect and gRPC-Web over HTTP/1.1 and
// HTTP/2, gRPC over h2c, plus gRPC health and reflection, and every call
// other than health and reflection must carry a known service token whose
// caller the policy allows.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "./gen/grpc/health/v1/health_pb.js";
import { ServerReflection, ServerReflectionRequestSchema } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { createMetrics } from "./metrics.js";
import { connectHandler, serviceClient, type RpcProtocol } from "./rpc.js";
import { tokenDigest } from "./rpc-auth.js";
import { runService, type RunningService } from "./service.js";

const GATEWAY_TOKEN = "gateway-token-0123456789abcdef0123456789";
const NOTIFICATION_TOKEN = "notification-token-0123456789abcdef012345";
let ready = true;
let rpcService: RunningService;
let restService: RunningService;

beforeAll(async () => {
  rpcService = await runService({
    name: "rpc-test",
    port: 0,
    host: "127.0.0.1",
    logLevel: "silent",
    shutdownTimeoutMs: 5_000,
    handleSignals: false,
    rpcAuth: {
      policy: { "t2mobile.catalogue.v1.CatalogueService/ListProducts": ["gateway"] },
      callers: { gateway: tokenDigest(GATEWAY_TOKEN), notification: tokenDigest(NOTIFICATION_TOKEN) },
    },
    start: async (rt) => {
      rt.addReadiness({ name: "toggle", check: async () => { if (!ready) throw new Error("down"); } });
      return connectHandler((router) =>
        router.service(CatalogueService, {
          listProducts: () => ({ products: [{ productId: "P1", name: "One" }] }),
          getProduct: () => ({ product: { productId: "P1" } }),
        }),
      );
    },
  });
  restService = await runService({
    name: "rest-test",
    port: 0,
    host: "127.0.0.1",
    logLevel: "silent",
    shutdownTimeoutMs: 5_000,
    handleSignals: false,
    start: async () => (_req, res) => res.writeHead(418).end("rest"),
  });
});
afterAll(async () => {
  await rpcService?.stop();
  await restService?.stop();
});

const metrics = createMetrics("rpc-test-client");
const catalogue = (protocol: RpcProtocol, token: string | undefined, http2 = false) =>
  serviceClient(CatalogueService, { baseUrl: rpcService.url, metrics, token, protocol, http2 });

describe("serving RPCs", () => {
  it.each([
    ["connect", false],
    ["connect", true],
    ["grpc-web", false],
    ["grpc-web", true],
    ["grpc", true],
  ] as const)("answers %s (HTTP/2: %s) from the same handlers", async (protocol, http2) => {
    const { products } = await catalogue(protocol, GATEWAY_TOKEN, http2).listProducts({});
    expect(products.map((p) => p.productId)).toEqual(["P1"]);
  });

  it.each(["connect", "grpc"] as const)("refuses a call without a token (%s): UNAUTHENTICATED", async (protocol) => {
    const error = await catalogue(protocol, undefined, protocol === "grpc").listProducts({}).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
    const unknown = await catalogue(protocol, "x".repeat(40), protocol === "grpc").listProducts({}).catch((e: unknown) => e);
    expect(ConnectError.from(unknown).code).toBe(Code.Unauthenticated);
  });

  it("refuses a known caller the policy does not name for the method: PERMISSION_DENIED", async () => {
    const wrongCaller = await catalogue("connect", NOTIFICATION_TOKEN).listProducts({}).catch((e: unknown) => e);
    expect(ConnectError.from(wrongCaller).code).toBe(Code.PermissionDenied);
    // A method the policy does not list at all is refused to everyone.
    const unlisted = await catalogue("grpc", GATEWAY_TOKEN, true).getProduct({ productId: "P1" }).catch((e: unknown) => e);
    expect(ConnectError.from(unlisted).code).toBe(Code.PermissionDenied);
  });

  it("answers grpc.health.v1 without a token: liveness always, overall and per service as readiness", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: rpcService.url }));
    expect((await health.check({ service: "liveness" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "t2mobile.catalogue.v1.CatalogueService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    ready = false;
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect((await health.check({ service: "liveness" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    ready = true;
    const unknown = await health.check({ service: "no.Such" }).catch((e: unknown) => e);
    expect(ConnectError.from(unknown).code).toBe(Code.NotFound);
  });

  it("lists and describes its services by reflection (bidi over h2c)", async () => {
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: rpcService.url }));
    async function* requests() {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "fileContainingSymbol", value: "t2mobile.catalogue.v1.CatalogueService" } });
    }
    const answers = [];
    for await (const res of reflection.serverReflectionInfo(requests())) answers.push(res);
    expect(answers[0]?.messageResponse.case).toBe("listServicesResponse");
    const listed = answers[0]?.messageResponse.case === "listServicesResponse" ? answers[0].messageResponse.value.service.map((s) => s.name) : [];
    expect(listed).toEqual(
      expect.arrayContaining(["t2mobile.catalogue.v1.CatalogueService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]),
    );
    const files = answers[1]?.messageResponse.case === "fileDescriptorResponse" ? answers[1].messageResponse.value.fileDescriptorProto : [];
    const names = files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
    expect(names).toEqual(["t2mobile/catalogue/v1/catalogue.proto", "t2mobile/common/v1/common.proto"]);
  });

  it("serves /healthz, /readyz and /metrics over HTTP/1.1", async () => {
    expect((await fetch(`${rpcService.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${rpcService.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${rpcService.url}/metrics`)).text()).toContain("t2m_rpc_server_duration_seconds");
  });

  it("gives a REST process's other HTTP/1.1 requests to its handler, and still answers gRPC health", async () => {
    const res = await fetch(`${restService.url}/anything`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("rest");
    const health = createClient(Health, createGrpcTransport({ baseUrl: restService.url }));
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
