#!/usr/bin/env node
// The kts command: routes to a role or helper. Each command file only parses
// its flags and calls into the component.

import { runServer, serverHelp } from './server.js';
import { UsageError } from './flags.js';
import { runSim, simHelp } from './sim.js';
import { agentHelp, runAgent } from './agent.js';
import { imageHelp, runImage } from './image.js';
import { killallHelp, runKillall } from './killall.js';
import { runToken, tokenHelp } from './token.js';
import { runSecretsEncrypt, secretsEncryptHelp } from './secrets-encrypt.js';
import { KTS_VERSION, KUBERNETES_VERSION } from '../version.js';

const HELP = `kts: a Kubernetes-compatible cluster in one program.

Usage: kts <command> [flags]

Commands:
  up        start a single-node cluster in the foreground (progress lines, then how to use kubectl)
  server    run the control plane in the foreground
  agent     join a cluster as a node (--server URL --token TOKEN)
  sim       run simulated nodes (no containers) against a cluster
  image     import, list, remove and build images on this node (no registry needed)
  token     create, list and delete bootstrap tokens of a running cluster
  secrets-encrypt  rotate the keys that encrypt Secrets at rest, re-encrypt, show status
  killall   remove every container, mount and network device kts created
  version   print the kts and Kubernetes versions
  help      show help for a command

Run 'kts <command> --help' for a command's flags.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (cmd === 'help' && rest[0] === 'server') console.log(serverHelp('server'));
      else if (cmd === 'help' && rest[0] === 'up') console.log(serverHelp('up'));
      else console.log(HELP);
      return 0;
    case 'version':
    case '--version':
      console.log(`kts ${KTS_VERSION} (Kubernetes ${KUBERNETES_VERSION.gitVersion})`);
      return 0;
    case 'server':
    case 'up':
      if (wantsHelp) {
        console.log(serverHelp(cmd));
        return 0;
      }
      await runServer(rest, cmd);
      return -1; // keeps running
    case 'agent':
      if (wantsHelp) {
        console.log(agentHelp());
        return 0;
      }
      await runAgent(rest);
      return -1;
    case 'sim':
      if (wantsHelp) {
        console.log(simHelp());
        return 0;
      }
      await runSim(rest);
      return -1;
    case 'killall':
      if (wantsHelp) {
        console.log(killallHelp());
        return 0;
      }
      return runKillall(rest);
    case 'token':
      if (wantsHelp) {
        console.log(tokenHelp());
        return 0;
      }
      return runToken(rest);
    case 'secrets-encrypt':
      if (wantsHelp) {
        console.log(secretsEncryptHelp());
        return 0;
      }
      return runSecretsEncrypt(rest);
    case 'image':
      if (wantsHelp) {
        console.log(imageHelp());
        return 0;
      }
      return runImage(rest);
    default:
      throw new UsageError(`unknown command "${cmd}"; run 'kts --help'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`kts: ${e.message}\n`);
      process.exit(2);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') process.stderr.write(`kts: cannot listen: address already in use (${(e as Error).message})\n`);
    else if (code === 'EACCES') process.stderr.write(`kts: permission denied: ${(e as Error).message}\n`);
    else process.stderr.write(`kts: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
