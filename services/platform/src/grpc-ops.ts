// What every process serves beside its own RPCs, on the same port and over
// every protocol: gRPC health checking (grpc.health.v1, for kubelet's gRPC
// probes, grpc_health_probe and load balancers) and server reflection
// (grpc.reflection.v1 and v1alpha, so grpcurl and `buf curl` can list,
// describe and call the services without the schema).
import { create, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "./gen/grpc/health/v1/health_pb.js";
import * as v1 from "./gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The health "service" names a probe may ask for, besides the fully-qualified names of the process's services. */
export const HealthServices = {
  /** The whole process: SERVING when its dependencies answer (as /readyz). Kubernetes' readiness probe. */
  overall: "",
  /** SERVING whenever the process answers at all (as /healthz). Kubernetes' startup and liveness probes. */
  liveness: "liveness",
} as const;

export interface GrpcOpsOptions {
  /** The services the process serves (its own; health and reflection are added). */
  readonly services: readonly DescService[];
  /** Whether the process is ready (its dependencies answer), as /readyz decides. */
  readonly ready: () => Promise<boolean>;
  /** How often Watch re-checks; 5 s. */
  readonly watchIntervalMs?: number;
}

const OPS_SERVICES: readonly DescService[] = [Health, v1.ServerReflection, v1alpha.ServerReflection];

/** Registers grpc.health.v1.Health and both versions of grpc.reflection's ServerReflection. */
export function registerGrpcOps(router: ConnectRouter, options: GrpcOpsOptions): void {
  const all = [...options.services, ...OPS_SERVICES];
  const names = new Set(all.map((s) => s.typeName));
  const status = async (service: string): Promise<ServingStatus | undefined> => {
    if (service === HealthServices.liveness) return ServingStatus.SERVING;
    if (service !== HealthServices.overall && !names.has(service)) return undefined;
    return (await options.ready().catch(() => false)) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  router.service(Health, {
    check: async (req) => {
      const s = await status(req.service);
      if (s === undefined) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return { status: s };
    },
    watch: async function* (req, ctx: HandlerContext) {
      let last: ServingStatus | undefined;
      const interval = options.watchIntervalMs ?? 5_000;
      while (!ctx.signal.aborted) {
        const s = (await status(req.service)) ?? ServingStatus.SERVICE_UNKNOWN;
        if (s !== last) yield { status: s };
        last = s;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            ctx.signal.removeEventListener("abort", done);
            resolve();
          };
          const timer = setTimeout(done, interval);
          ctx.signal.addEventListener("abort", done, { once: true });
        });
      }
    },
  });

  const index = reflectionIndex(all);
  for (const version of [v1, v1alpha] as const) {
    router.service(version.ServerReflection, {
      serverReflectionInfo: async function* (requests: AsyncIterable<v1.ServerReflectionRequest>) {
        for await (const req of requests) {
          yield create(version.ServerReflectionResponseSchema as typeof v1.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req as v1.ServerReflectionRequest,
            messageResponse: answer(index, req as v1.ServerReflectionRequest),
          }) as never;
        }
      },
    });
  }
}

interface ReflectionIndex {
  readonly services: readonly string[];
  readonly bySymbol: ReadonlyMap<string, DescFile>;
  readonly byName: ReadonlyMap<string, DescFile>;
}

function reflectionIndex(services: readonly DescService[]): ReflectionIndex {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const type of nestedTypes(file)) {
      bySymbol.set(type.typeName, file);
      if (type.kind === "service") for (const method of type.methods) bySymbol.set(`${type.typeName}.${method.name}`, file);
    }
    file.dependencies.forEach(visit);
  };
  for (const service of services) visit(service.file);
  return { services: services.map((s) => s.typeName), bySymbol, byName };
}

/** The file and everything it imports, each once, the file first. */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const add = (f: DescFile) => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(add);
  };
  add(file);
  return out;
}

const notFound = (message: string): v1.ServerReflectionResponse["messageResponse"] => ({
  case: "errorResponse",
  value: create(v1.ErrorResponseSchema, { errorCode: Code.NotFound, errorMessage: message }),
});

function answer(index: ReflectionIndex, req: v1.ServerReflectionRequest): v1.ServerReflectionResponse["messageResponse"] {
  const files = (file: DescFile | undefined, what: string) =>
    file
      ? ({ case: "fileDescriptorResponse", value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: withDependencies(file) }) } as const)
      : notFound(`${what} not found`);
  switch (req.messageRequest.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: create(v1.ListServiceResponseSchema, { service: index.services.map((name) => ({ name })) }),
      };
    case "fileByFilename":
      return files(index.byName.get(req.messageRequest.value), `file ${req.messageRequest.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(req.messageRequest.value.replace(/^\./, "")), `symbol ${req.messageRequest.value}`);
    case "fileContainingExtension":
      return notFound(`no extension ${req.messageRequest.value.extensionNumber} of ${req.messageRequest.value.containingType}`);
    case "allExtensionNumbersOfType": {
      const type = req.messageRequest.value;
      return index.bySymbol.has(type)
        ? { case: "allExtensionNumbersResponse", value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: type, extensionNumber: [] }) }
        : notFound(`type ${type} not found`);
    }
    default:
      return { case: "errorResponse", value: create(v1.ErrorResponseSchema, { errorCode: Code.InvalidArgument, errorMessage: "empty request" }) };
  }
}
