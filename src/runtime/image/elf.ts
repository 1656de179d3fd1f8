// Just enough ELF to decide whether a binary can run alone in an empty image:
// it must be an executable for the host's architecture with no program
// interpreter (PT_INTERP), i.e. statically linked (static-pie counts too).

const PT_INTERP = 3;

/** ELF e_machine values to OCI architecture names. */
const MACHINES: Record<number, string> = {
  3: '386',
  21: 'ppc64le',
  22: 's390x',
  40: 'arm',
  62: 'amd64',
  183: 'arm64',
  243: 'riscv64',
};

export interface ElfInfo {
  /** OCI architecture name, or `elf-machine-<n>` for one we do not map. */
  architecture: string;
  /** The program interpreter (e.g. `/lib64/ld-linux-x86-64.so.2`); null when statically linked. */
  interpreter: string | null;
}

/** Reads the ELF header and program headers; throws when `bin` is not ELF. */
export function readElfInfo(bin: Buffer): ElfInfo {
  if (bin.length < 52 || bin.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = bin[4] === 2;
  const le = bin[5] === 1;
  const u16 = (at: number): number => (le ? bin.readUInt16LE(at) : bin.readUInt16BE(at));
  const u32 = (at: number): number => (le ? bin.readUInt32LE(at) : bin.readUInt32BE(at));
  const word = (at: number): number => (is64 ? Number(le ? bin.readBigUInt64LE(at) : bin.readBigUInt64BE(at)) : u32(at));

  const machine = u16(0x12);
  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  let interpreter: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > bin.length) throw new Error('truncated ELF program headers');
    if (u32(ph) !== PT_INTERP) continue;
    const offset = word(ph + (is64 ? 0x08 : 0x04));
    const size = word(ph + (is64 ? 0x20 : 0x10));
    interpreter = bin.subarray(offset, offset + size).toString('latin1').replace(/\0+$/, '');
  }
  return { architecture: MACHINES[machine] ?? `elf-machine-${machine}`, interpreter };
}
