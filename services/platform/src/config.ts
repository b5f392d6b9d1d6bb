import { z } from "zod";

/** Thrown when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export type Environment = Record<string, string | undefined>;

/** What a config builder may ask about the environment it runs in. */
export interface ConfigContext {
  /** True when NODE_ENV is "production": secrets then have no defaults. */
  readonly production: boolean;
  /**
   * A value used only outside production, so local runs and tests start with
   * sandbox credentials while production refuses to start without real ones.
   */
  sandboxDefault<T>(value: T): T | undefined;
}

/** Settings every process shares. */
export const baseConfigShape = {
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HOST: z.string().min(1).default("127.0.0.1"),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};

/** A TCP port; 0 asks the OS for a free one (tests). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

/** A URL restricted to the given protocols. */
export const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((value) => protocols.includes(new URL(value).protocol), {
      message: `must use ${protocols.join(" or ")}`,
    });

/** NATS JetStream settings, for processes that use the EventBus. */
export const natsConfigShape = {
  NATS_URL: url(["nats:", "tls:"]).default("nats://127.0.0.1:4222"),
  /** How long the server waits for an ack before redelivering to another process. */
  NATS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
};

/**
 * The service's own NATS user and password: NATS_USER defaults to the
 * service's name; NATS_PASSWORD is a secret (a sandbox value outside
 * production, which the devstack's nats-server accepts).
 */
export const natsCredentialsShape = (ctx: ConfigContext, user: string, sandboxPassword: string) => ({
  NATS_USER: z.string().min(1).default(user),
  NATS_PASSWORD: secret(ctx, sandboxPassword, 16),
});

/** The NatsCredentials of a config built with natsCredentialsShape. */
export const natsCredentials = (config: { NATS_USER: string; NATS_PASSWORD: string }) => ({ user: config.NATS_USER, password: config.NATS_PASSWORD });

/** MongoDB settings; the URL names the database (mongodb://host/t2mobile). */
export const mongoConfigShape = {
  MONGODB_URL: url(["mongodb:", "mongodb+srv:"]).default("mongodb://127.0.0.1:27017/t2mobile"),
};

/** runService's listening and logging options from a config built on baseConfigShape. */
export function serveOptions(config: { PORT: number; HOST: string; LOG_LEVEL: string; SHUTDOWN_TIMEOUT_MS: number }) {
  return { port: config.PORT, host: config.HOST, logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
}

/** A required value that has a default only outside production. */
export function sandboxed<S extends z.ZodType<string>>(ctx: ConfigContext, schema: S, sandboxValue: string) {
  return ctx.production ? schema : schema.default(sandboxValue as never);
}

/** A required secret that has a sandbox default only outside production. */
export const secret = (ctx: ConfigContext, sandboxValue: string, minLength = 1) =>
  sandboxed(ctx, z.string().min(minLength, `must be at least ${minLength} characters`), sandboxValue);

/** Comma-separated list of positive integers, e.g. "30000,120000". */
export const intList = (fallback: number[]) =>
  z
    .string()
    .default(fallback.join(","))
    .transform((raw, ctx) => {
      const values = raw.split(",").map((part) => Number(part.trim()));
      if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 0)) {
        ctx.addIssue({ code: "custom", message: "must be a comma-separated list of non-negative integers" });
        return z.NEVER;
      }
      return values;
    });

/**
 * Reads and validates a service's configuration from the environment.
 * Every problem is reported at once, and secret values never appear in the
 * message (only variable names and what is wrong with them).
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  build: (ctx: ConfigContext) => S,
  env: Environment = process.env,
): z.output<S> {
  const production = env.NODE_ENV === "production";
  const ctx: ConfigContext = {
    production,
    sandboxDefault: <T>(value: T) => (production ? undefined : value),
  };
  // Empty variables count as unset, so `FOO= npm start` means "use the default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = build(ctx).safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
    return `${name} ${message}`;
  });
  throw new ConfigError(service, problems);
}
