// `npm run nats:config`: prints the nats-server authorization block for
// production (each service's user and permissions, passwords from
// nats-server's environment), or with --local the one npm start and the tests use.
import { localNatsConfig, productionNatsConfig } from "./servers/nats-accounts.js";

process.stdout.write(process.argv.includes("--local") ? localNatsConfig() : productionNatsConfig());
