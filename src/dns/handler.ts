// One request in, one reply out: checks the query (as miekg/dns's default
// accept rules, which CoreDNS uses), answers cluster names from the zone,
// forwards the rest, and sizes the reply for the transport. Never throws:
// malformed input is answered FORMERR or dropped, internal failures SERVFAIL.

import { ClusterZone, type ZoneAnswer } from './zone.js';
import { Forwarder, forwardFlags } from './forwarder.js';
import {
  DnsFormatError,
  MIN_UDP_SIZE,
  OPCODE_QUERY,
  RCode,
  RRType,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  getEdns,
  optRecord,
  type Message,
  type ResourceRecord,
} from './wire.js';

/** Largest UDP reply we send whatever the client advertises. */
export const MAX_UDP_SIZE = 4096;

export interface HandlerStats {
  queries: number;
  zone: number;
  forwarded: number;
  formErr: number;
  servFail: number;
  dropped: number;
}

export type Transport = 'udp' | 'tcp';

export class DnsHandler {
  readonly stats: HandlerStats = { queries: 0, zone: 0, forwarded: 0, formErr: 0, servFail: 0, dropped: 0 };

  constructor(
    readonly zone: ClusterZone,
    readonly forwarder: Forwarder | undefined,
    private readonly onError: (what: string, err: unknown) => void = () => {},
  ) {}

  /** The reply bytes for a request, or undefined to send nothing. */
  async handle(packet: Buffer, transport: Transport): Promise<Buffer | undefined> {
    this.stats.queries++;
    const header = decodeHeader(packet);
    // Too short to answer, or a response (answering those invites loops).
    if (!header || header.qr) {
      this.stats.dropped++;
      return undefined;
    }
    let query: Message;
    try {
      query = decodeMessage(packet);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) this.onError('decoding a query', e);
      this.stats.formErr++;
      return encodeMessage({ header: { ...header, qr: true, aa: false, tc: false, ra: true, ad: false, rcode: RCode.FORMERR }, questions: [], answers: [], authorities: [], additionals: [] });
    }
    const reply = (rcode: number, body: Partial<ZoneAnswer> = {}, aa = false): Buffer => this.reply(query, transport, rcode, body, aa);
    if (query.header.opcode !== OPCODE_QUERY) return reply(RCode.NOTIMP);
    const opts = query.additionals.filter((rr) => rr.type === RRType.OPT);
    if (query.questions.length !== 1 || query.answers.length > 1 || query.authorities.length > 1 || opts.length > 1) {
      this.stats.formErr++;
      return reply(RCode.FORMERR);
    }
    const edns = getEdns(query);
    if (edns && edns.version > 0) return reply(RCode.BADVERS);
    const q = query.questions[0];
    try {
      const zoneAnswer = this.zone.answer(q);
      if (zoneAnswer) {
        this.stats.zone++;
        if (zoneAnswer.chase?.length) await this.chase(zoneAnswer, query);
        return reply(zoneAnswer.rcode, zoneAnswer, zoneAnswer.rcode !== RCode.REFUSED);
      }
      if (!this.forwarder) return reply(RCode.REFUSED);
      this.stats.forwarded++;
      const up = await this.forwarder.resolve(q, forwardFlags(query));
      return this.reply(query, transport, up.header.rcode, up, up.header.aa, up.header.ad);
    } catch (e) {
      this.stats.servFail++;
      if (!(e instanceof Error && /timed out|no upstream/.test(e.message))) this.onError(`answering ${q.name}`, e);
      return reply(RCode.SERVFAIL);
    }
  }

  /** Resolves out-of-zone CNAME targets of ExternalName services and splices them in. */
  private async chase(a: ZoneAnswer, query: Message): Promise<void> {
    const found = await Promise.all(
      a.chase!.map(async (c) => {
        if (!this.forwarder) return [];
        try {
          const up = await this.forwarder.resolve({ name: c.target, type: c.type, class: query.questions[0].class }, forwardFlags(query));
          return [c.cname, ...up.answers];
        } catch {
          return [];
        }
      }),
    );
    for (const rrs of found) a.answers.push(...rrs);
    if (a.answers.length === 0) a.authorities.push(this.zone.soa());
  }

  private reply(query: Message, transport: Transport, rcode: number, body: Partial<ZoneAnswer>, aa: boolean, ad = false): Buffer {
    const edns = getEdns(query);
    const size = transport === 'tcp' ? 65535 : edns ? Math.min(edns.udpSize, MAX_UDP_SIZE) : MIN_UDP_SIZE;
    const additionals: ResourceRecord[] = [...(body.additionals ?? [])];
    if (edns) additionals.push(optRecord(Math.max(MIN_UDP_SIZE, Math.min(edns.udpSize, MAX_UDP_SIZE)), { do: edns.do }));
    const msg: Message = {
      header: { id: query.header.id, qr: true, opcode: query.header.opcode, aa, tc: false, rd: query.header.rd, ra: true, ad, cd: query.header.cd, rcode },
      questions: query.questions,
      answers: body.answers ?? [],
      authorities: body.authorities ?? [],
      additionals,
    };
    try {
      return encodeMessage(msg, { maxSize: size });
    } catch (e) {
      this.onError(`encoding the reply to ${query.questions[0]?.name}`, e);
      this.stats.servFail++;
      return encodeMessage({ ...msg, header: { ...msg.header, rcode: RCode.SERVFAIL, aa: false }, answers: [], authorities: [], additionals: edns ? [optRecord(size)] : [] });
    }
  }
}
