// `kts token create|list|delete`: bootstrap tokens (Secrets
// `kube-system/bootstrap-token-<id>`, as `kubeadm token`) managed through a
// running cluster's API. A token `<id>.<secret>` authenticates as
// `system:bootstrap:<id>` in the groups `system:bootstrappers` and the
// token's extra groups.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomInt } from 'node:crypto';
import { HttpClient, kubeconfigToOptions } from '../client/http-client.js';
import { caCertHash } from '../apiserver/pki/index.js';
import { formatJoinToken } from '../agent/join-token.js';
import { isNotFound } from '../client/types.js';
import { defaultDataDir } from '../cluster/config.js';
import { BOOTSTRAP_SECRET_TYPE, BOOTSTRAP_TOKEN_RE } from '../auth/tokens.js';
import { flagHelp, parseDuration, parseFlags, UsageError, type FlagSpec } from './flags.js';

const DEFAULT_GROUP = 'system:bootstrappers:kts:default-node-token';
const SECRETS = '/api/v1/namespaces/kube-system/secrets';

const FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', help: 'kubeconfig of the cluster', default: '$KUBECONFIG, then <data-dir>/admin.kubeconfig, then ~/.kube/config' },
  { name: 'ttl', type: 'string', help: 'create: how long the token is valid (0: forever)', default: '24h' },
  { name: 'description', type: 'string', help: 'create: a human-readable description' },
  { name: 'groups', type: 'list', help: `create: extra groups (system:bootstrappers:*)`, default: DEFAULT_GROUP },
  { name: 'usages', type: 'list', help: 'create: signing, authentication', default: 'signing,authentication' },
];

export function tokenHelp(): string {
  return `Usage: kts token create [TOKEN] | list | delete ID|TOKEN... [flags]\n\nManage bootstrap tokens: bearer tokens <id>.<secret> authenticating as system:bootstrap:<id>.\n'create' prints the join token K10<CA hash>::<id>.<secret> for 'kts agent --token'.\n\nFlags:\n${flagHelp(FLAGS)}\n  -h, --help`;
}

function randomString(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function kubeconfigPath(flag: string | undefined): string {
  if (flag) return flag;
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG.split(':')[0]!;
  const candidates = [join(defaultDataDir(), 'admin.kubeconfig'), join(homedir(), '.kube', 'config')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new UsageError('no cluster: pass --kubeconfig or set KUBECONFIG');
  return found;
}

const dec = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');

function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86400 * 2) return `${Math.floor(s / 86400)}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}

export async function runToken(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, FLAGS);
  const [sub, ...rest] = positional;
  if (!sub) throw new UsageError(`missing subcommand; ${tokenHelp()}`);
  const kubeconfig = kubeconfigPath(values.kubeconfig as string | undefined);
  const client = HttpClient.fromKubeconfig(kubeconfig);
  try {
    switch (sub) {
      case 'create': {
        let token = rest[0];
        if (token && !BOOTSTRAP_TOKEN_RE.test(token)) throw new UsageError(`the bootstrap token "${token}" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"`);
        token ??= `${randomString(6)}.${randomString(16)}`;
        const [id, secret] = token.split('.') as [string, string];
        const ttl = parseDuration((values.ttl as string | undefined) ?? '24h');
        const groups = (values.groups as string[] | undefined) ?? [DEFAULT_GROUP];
        for (const g of groups) if (!/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/.test(g)) throw new UsageError(`--groups: "${g}" must match system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`);
        const usages = (values.usages as string[] | undefined) ?? ['signing', 'authentication'];
        for (const u of usages) if (u !== 'signing' && u !== 'authentication') throw new UsageError(`--usages: unknown usage "${u}" (want signing or authentication)`);
        const stringData: Record<string, string> = { 'token-id': id, 'token-secret': secret };
        if (ttl > 0) stringData.expiration = new Date(Date.now() + ttl).toISOString().replace(/\.\d{3}Z$/, 'Z');
        for (const u of usages) stringData[`usage-bootstrap-${u}`] = 'true';
        if (groups.length) stringData['auth-extra-groups'] = groups.join(',');
        if (values.description) stringData.description = values.description as string;
        await client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: BOOTSTRAP_SECRET_TYPE, stringData });
        // The join token carries the CA's hash, so a joining agent can check whom it talks to.
        const ca = kubeconfigToOptions(readFileSync(kubeconfig, 'utf8'), dirname(kubeconfig)).ca;
        console.log(ca ? formatJoinToken(caCertHash(ca.toString()), token) : token);
        return 0;
      }
      case 'list': {
        const list = await client.get(`${SECRETS}?fieldSelector=type%3D${encodeURIComponent(BOOTSTRAP_SECRET_TYPE)}`);
        const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
        for (const s of list.items ?? []) {
          const d = s.data ?? {};
          const exp = dec(d.expiration);
          const usages = Object.keys(d).filter((k) => k.startsWith('usage-bootstrap-') && dec(d[k]) === 'true').map((k) => k.slice('usage-bootstrap-'.length)).sort();
          rows.push([
            `${dec(d['token-id'])}.${dec(d['token-secret'])}`,
            exp ? humanDuration(Date.parse(exp) - Date.now()) : '<forever>',
            exp || '<never>',
            usages.join(',') || '<none>',
            dec(d.description) || '<none>',
            dec(d['auth-extra-groups']) || '<none>',
          ]);
        }
        console.log(table(rows));
        return 0;
      }
      case 'delete': {
        if (!rest.length) throw new UsageError('missing token ID or token to delete');
        for (const t of rest) {
          const bare = t.includes('::') ? t.slice(t.indexOf('::') + 2) : t;
          const id = bare.includes('.') ? bare.split('.')[0]! : bare;
          if (!/^[a-z0-9]{6}$/.test(id)) throw new UsageError(`"${t}" is neither a token ID nor a token`);
          try {
            await client.delete(`${SECRETS}/bootstrap-token-${id}`);
          } catch (e) {
            if (isNotFound(e)) throw new UsageError(`bootstrap token "${id}" not found`);
            throw e;
          }
          console.log(`bootstrap token "${id}" deleted`);
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown token subcommand "${sub}" (want create, list or delete)`);
    }
  } finally {
    client.close();
  }
}
