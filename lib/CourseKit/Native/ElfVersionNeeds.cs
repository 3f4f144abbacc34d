using System.Text;

namespace CourseKit.Native;

/// <summary>One symbol-version requirement of a shared library (an entry of <c>.gnu.version_r</c>).</summary>
public sealed record VersionNeed(string File, string Version, bool Weak, ushort Index, long FlagsOffset);

/// <summary>
/// Reads and patches the symbol-version requirements of an x86-64 ELF shared library (ELF64, little endian).
/// Used to load a libLibTorchSharp.so built against a newer libstdc++ than the host has: a version requirement that
/// only guards symbols with no relocations can be marked weak (VER_FLG_WEAK) without changing what the code does.
/// </summary>
public sealed class ElfVersionNeeds
{
    const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    readonly byte[] _image;
    readonly string _path;
    readonly List<Section> _sections = new();

    record struct Section(uint Type, long Offset, long Size, uint Link, long EntSize, long Address);

    public IReadOnlyList<VersionNeed> Needs { get; }

    ElfVersionNeeds(string path, byte[] image)
    {
        _path = path;
        _image = image;
        ReadSections();
        Needs = ReadNeeds();
    }

    public static ElfVersionNeeds Read(string path) => new(path, File.ReadAllBytes(path));

    /// <summary>Dynamic symbols bound to the given version requirement, and how many relocations reference each.</summary>
    public IReadOnlyList<(string Symbol, int Relocations)> SymbolsOf(VersionNeed need)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym.Type == 0 || versym.Type == 0) return Array.Empty<(string, int)>();
        var strtab = At(dynsym.Link);
        int count = (int)(dynsym.Size / 24);
        var indices = new List<int>();
        for (int i = 0; i < count; i++)
        {
            ushort v = (ushort)(U16(versym.Offset + 2L * i) & 0x7fff);
            if (v == need.Index) indices.Add(i);
        }
        var relocs = indices.ToDictionary(i => i, _ => 0);
        foreach (var s in _sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && At(s.Link).Offset == dynsym.Offset))
        {
            long entSize = s.EntSize > 0 ? s.EntSize : (s.Type == ShtRela ? 24 : 16);
            for (long o = s.Offset; o + entSize <= s.Offset + s.Size; o += entSize)
            {
                int sym = (int)(U64(o + 8) >> 32);
                if (relocs.ContainsKey(sym)) relocs[sym]++;
            }
        }
        return indices.Select(i => (CString(strtab.Offset + U32(dynsym.Offset + 24L * i)), relocs[i])).ToList();
    }

    /// <summary>File offset of the code of an exported function (a defined STT_FUNC in <c>.dynsym</c>), or null.</summary>
    public long? FunctionOffset(string symbol)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (dynsym.Type == 0) return null;
        var strtab = At(dynsym.Link);
        for (long e = dynsym.Offset; e + 24 <= dynsym.Offset + dynsym.Size; e += 24)
        {
            if ((_image[e + 4] & 0xf) != 2 /* STT_FUNC */) continue;
            ushort shndx = U16(e + 6);
            if (shndx == 0 || shndx >= _sections.Count) continue;
            if (CString(strtab.Offset + U32(e)) != symbol) continue;
            var section = _sections[shndx];
            long offset = section.Offset + ((long)U64(e + 8) - section.Address);
            Check(offset, 8);
            return offset;
        }
        return null;
    }

    /// <summary>Where a patched function returns at once: after its <c>endbr64</c> (kept for indirect-branch tracking) or at its start.</summary>
    public long ReturnOffset(string symbol)
    {
        long start = FunctionOffset(symbol) ?? throw new InvalidDataException($"{_path}: no exported function {symbol}");
        bool endbr64 = _image[start] == 0xf3 && _image[start + 1] == 0x0f && _image[start + 2] == 0x1e && _image[start + 3] == 0xfa;
        return endbr64 ? start + 4 : start;
    }

    /// <summary>
    /// Writes a copy of the library with the given requirements marked weak and the given functions (void, no
    /// results) made to return at once. Refuses (with the symbol named) when a symbol behind a relaxed requirement is
    /// referenced by a relocation: that call would fail at run time, not at load.
    /// </summary>
    public void WritePatched(IEnumerable<VersionNeed> weakNeeds, IEnumerable<string> returnAtOnce, string destination)
    {
        var copy = (byte[])_image.Clone();
        foreach (var need in weakNeeds)
        {
            var used = SymbolsOf(need).Where(s => s.Relocations > 0).ToList();
            if (used.Count > 0)
                throw new InvalidOperationException(
                    $"{_path}: cannot relax {need.Version}: symbol {used[0].Symbol} is referenced by {used[0].Relocations} relocation(s); " +
                    "this library really needs a newer libstdc++ (install one, e.g. from a newer GCC runtime).");
            ushort flags = (ushort)(copy[need.FlagsOffset] | copy[need.FlagsOffset + 1] << 8);
            flags |= VerFlgWeak;
            copy[need.FlagsOffset] = (byte)flags;
            copy[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }
        foreach (var symbol in returnAtOnce)
            copy[ReturnOffset(symbol)] = 0xc3; // ret
        var tmp = destination + $".{Environment.ProcessId}.tmp";
        File.WriteAllBytes(tmp, copy);
        File.Move(tmp, destination, overwrite: true);
    }

    /// <summary>Byte at a file offset (tests read a patched copy back).</summary>
    public byte ByteAt(long offset) { Check(offset, 1); return _image[offset]; }

    /// <summary>The version names a library defines (<c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
    public static IReadOnlyList<string> DefinedVersions(string path)
    {
        var elf = new ElfVersionNeeds(path, File.ReadAllBytes(path));
        return elf.ReadDefinitions();
    }

    void ReadSections()
    {
        if (_image.Length < 64 || _image[0] != 0x7f || _image[1] != (byte)'E' || _image[2] != (byte)'L' || _image[3] != (byte)'F')
            throw new InvalidDataException($"{_path}: not an ELF file");
        if (_image[4] != 2 || _image[5] != 1)
            throw new InvalidDataException($"{_path}: only 64-bit little-endian ELF is supported");
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > _image.Length)
            throw new InvalidDataException($"{_path}: section header table out of range");
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            var s = new Section(U32(h + 4), (long)U64(h + 0x18), (long)U64(h + 0x20), U32(h + 0x28), (long)U64(h + 0x38), (long)U64(h + 0x10));
            if (s.Type != 8 /* NOBITS */ && s.Offset + s.Size > _image.Length)
                throw new InvalidDataException($"{_path}: section {i} out of range");
            _sections.Add(s);
        }
    }

    List<VersionNeed> ReadNeeds()
    {
        var result = new List<VersionNeed>();
        foreach (var sec in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = At(sec.Link);
            long vn = sec.Offset;
            for (int guard = 0; guard < 4096; guard++)
            {
                ushort cnt = U16(vn + 2);
                string file = CString(strtab.Offset + U32(vn + 4));
                long aux = vn + U32(vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    ushort flags = U16(aux + 4), other = U16(aux + 6);
                    string name = CString(strtab.Offset + U32(aux + 8));
                    result.Add(new VersionNeed(file, name, (flags & VerFlgWeak) != 0, other, aux + 4));
                    uint next = U32(aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = U32(vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return result;
    }

    List<string> ReadDefinitions()
    {
        var result = new List<string>();
        foreach (var sec in _sections.Where(s => s.Type == 0x6ffffffd /* SHT_GNU_verdef */))
        {
            var strtab = At(sec.Link);
            long vd = sec.Offset;
            for (int guard = 0; guard < 4096; guard++)
            {
                long aux = vd + U32(vd + 12);
                result.Add(CString(strtab.Offset + U32(aux)));
                uint next = U32(vd + 16);
                if (next == 0) break;
                vd += next;
            }
        }
        return result;
    }

    Section At(uint index) => index < _sections.Count ? _sections[(int)index]
        : throw new InvalidDataException($"{_path}: section link {index} out of range");

    void Check(long offset, int size)
    {
        if (offset < 0 || offset + size > _image.Length) throw new InvalidDataException($"{_path}: read at {offset} out of range");
    }
    ushort U16(long o) { Check(o, 2); return BitConverter.ToUInt16(_image, (int)o); }
    uint U32(long o) { Check(o, 4); return BitConverter.ToUInt32(_image, (int)o); }
    ulong U64(long o) { Check(o, 8); return BitConverter.ToUInt64(_image, (int)o); }
    string CString(long o)
    {
        Check(o, 1);
        int end = Array.IndexOf(_image, (byte)0, (int)o);
        if (end < 0) throw new InvalidDataException($"{_path}: unterminated string at {o}");
        return Encoding.ASCII.GetString(_image, (int)o, end - (int)o);
    }
}
