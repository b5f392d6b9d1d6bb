// `npm run job -- <name> [--now <ISO>]`: runs one of the platform's jobs at
// once, with this shell's environment (the services' defaults reach
// `npm start`'s stack), and exits with the job's exit code.
import { ALL_JOBS } from "@t2m/topology";
import { findJob, runJobProcess } from "./jobs.js";

const [name, ...args] = process.argv.slice(2);
const job = name ? findJob(name) : undefined;
if (!job) {
  process.stderr.write(
    `${name ? `no job named "${name}". ` : ""}usage: npm run job -- <name> [--now <ISO time>]\njobs:\n${ALL_JOBS.map((j) => `  ${j.name.padEnd(18)} ${j.schedule.padEnd(14)} ${j.service}: ${j.description}`).join("\n")}\n`,
  );
  process.exit(2);
}
const result = await runJobProcess(job, { env: process.env, args, output: (_source, line, stream) => (stream === "stderr" ? process.stderr : process.stdout).write(`${line}\n`) });
process.exit(result.exit.code ?? 1);
