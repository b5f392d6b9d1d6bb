// The devstack as a library, for tests: start the platform (or parts of it)
// with its own NATS and FerretDB on free ports, kill and restart processes.
export {
  assertBuilt,
  assertPortsFree,
  startStack,
  type Stack,
  type StackOptions,
  type StackProcessName,
  type StackServerName,
  type StartServiceOptions,
  type WaitUntilReadyOptions,
} from "./stack.js";
export {
  consecutiveCrashes,
  DEFAULT_RESTART_POLICY,
  restartDelayMs,
  restartPolicy,
  type RestartPolicy,
  type SupervisionEvent,
} from "./supervisor.js";
export {
  dockerEngine,
  LocalServers,
  MONGODB_IMAGE,
  NATS_IMAGE,
  resolveStore,
  startServers,
  type LocalServerParts,
  type Servers,
  type ServersOptions,
  type StoreInfo,
} from "./servers/start-servers.js";
export { chooseServers, chooseStore, serversSetting, storeSetting, type ServersChoice, type StoreChoice } from "./servers/choice.js";
export {
  createStackDatabase,
  DEFAULT_POSTGRESQL_URL,
  installFerretDbIdIndexes,
  dropDatabase,
  listDatabases,
  probePostgres,
  STACK_DATABASE_PREFIX,
} from "./servers/postgres.js";
export {
  describeExit,
  EXIT_WITH_PARENT_VARIABLE,
  isServiceName,
  killAllChildren,
  processExists,
  ManagedProcess,
  ProcessError,
  SERVICE_NAMES,
  serviceArgs,
  serviceEntry,
  spawnService,
  waitUntilReady,
  type ExitInfo,
  type OutputSink,
  type OutputStream,
  type ProcessOptions,
  type ServiceName,
  type ServiceProcessOptions,
  type StopOptions,
  type WaitReadyOptions,
} from "./processes.js";
export { startNatsServer, probeNats, parsePortsFile, resolveNatsServerBinary, type NatsServer, type NatsServerOptions, type NatsProbe } from "./servers/nats.js";
export {
  ensureFerretDbBinary,
  ferretDbBinaryPath,
  resolveGoBinary,
  startFerretDb,
  type EnsureBinaryOptions,
  type FerretDb,
  type FerretDbBinary,
  type FerretDbOptions,
} from "./servers/ferretdb.js";
export { ensureHelmBinary, helmBinaryPath, helmModuleVersion, HELM_VERSION, type HelmBinary } from "./servers/helm.js";
export { probeMongo, type MongoProbe } from "./servers/mongo-probe.js";
export {
  DEFAULT_SERVICE_PORTS,
  mongoUrlWithDatabase,
  REPO_ROOT,
  SERVICE_VARIABLES,
  COMMON_VARIABLES,
  CONTRACT_VARIABLES,
  serviceEnv,
  type Environment,
  type StackTopology,
} from "./config.js";
export { findFreePorts, findPortOwners, isPortFree, type PortOwner } from "./ports.js";
export { createConsoleSink, type ConsoleSinkOptions } from "./output.js";
export { formatLogLine } from "./log-format.js";
export { findJob, runJobProcess, startJobScheduler, type JobProcessOptions, type JobProcessResult, type JobScheduler, type JobSchedulerOptions } from "./jobs.js";
export {
  DEVSTACK_NATS_ADMIN,
  localNatsConfig,
  NATS_SERVICES,
  natsPasswordVariable,
  productionNatsConfig,
  sandboxNatsCredentials,
} from "./servers/nats-accounts.js";
