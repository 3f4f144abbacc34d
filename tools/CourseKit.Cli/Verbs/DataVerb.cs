using System.CommandLine;
using System.Globalization;
using CourseKit.Data;
using Microsoft.Data.Analysis;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course data list | fetch | verify</c>: the data sets in the registry and the local cache.</summary>
public static class DataVerb
{
    /// <param name="registry">The registry and folders to work on; <see cref="DataRegistry.Default"/> when null
    /// (tests pass one with a temp cache).</param>
    public static Command Create(DataRegistry? registry = null)
    {
        var cmd = new Command("data", "List, fetch and verify the course data sets (cache: $COURSEKIT_DATA or datasets/.cache).");
        cmd.Subcommands.Add(CreateList(registry));
        cmd.Subcommands.Add(CreateFetch(registry));
        cmd.Subcommands.Add(CreateVerify(registry));
        return cmd;
    }

    static Command CreateList(DataRegistry? registry)
    {
        var cmd = new Command("list", "Show every registered data set with its license, size and local status (files are re-hashed).");
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var reg = registry ?? DataRegistry.Default;
            PrintTable(out_, StatusFrame(reg));
            out_.WriteLine($"committed: {reg.CommittedRoot ?? "(no repository found)"}");
            out_.WriteLine($"cache:     {reg.CacheRoot}");
            return 0;
        }));
        return cmd;
    }

    static Command CreateFetch(DataRegistry? registry)
    {
        var names = new Argument<string[]>("names") { Arity = ArgumentArity.ZeroOrMore, Description = "Data sets to fetch (see 'course data list')." };
        var all = new Option<bool>("--all") { Description = "Every registered data set (with --from: every one present in the mirror)." };
        var from = new Option<string?>("--from") { Description = $"Copy from this mirror folder (<dir>/<name>/...) instead of downloading; default ${DataPaths.MirrorVariable}." };
        var force = new Option<bool>("--force") { Description = "Fetch again even when a good copy is already present." };
        var cmd = new Command("fetch", "Download data sets from their public URLs, or copy them from a mirror; every file is sha256-checked.");
        cmd.Arguments.Add(names);
        cmd.Options.Add(all);
        cmd.Options.Add(from);
        cmd.Options.Add(force);
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var reg = registry ?? DataRegistry.Default;
            var requested = parse.GetValue(names) ?? [];
            var mirror = parse.GetValue(from) ?? DataPaths.DefaultMirror();
            var isForced = parse.GetValue(force);
            var fetcher = new DataFetcher(reg);
            List<string> targets;
            if (parse.GetValue(all))
            {
                if (requested.Length > 0) throw new ArgumentException("Give either dataset names or --all, not both.");
                if (mirror is not null && !Directory.Exists(mirror))
                    throw new DirectoryNotFoundException($"Mirror folder not found: {Path.GetFullPath(mirror)}");
                targets = reg.Datasets.Select(d => d.Name).ToList();
                if (mirror is not null)
                {
                    foreach (var absent in targets.Where(n => !Directory.Exists(Path.Combine(mirror, n))))
                        out_.WriteLine($"{absent}: not in the mirror {mirror} (skipped)");
                    targets = targets.Where(n => Directory.Exists(Path.Combine(mirror, n))).ToList();
                }
            }
            else
            {
                if (requested.Length == 0) throw new ArgumentException("Name a data set to fetch (see 'course data list'), or use --all.");
                foreach (var n in requested) reg.Get(n); // unknown names fail before anything is written
                targets = requested.ToList();
            }
            foreach (var n in targets) Print(out_, fetcher.Fetch(n, mirror, isForced));
            return 0;
        }));
        return cmd;
    }

    static Command CreateVerify(DataRegistry? registry)
    {
        var name = new Argument<string?>("name") { Arity = ArgumentArity.ZeroOrOne, Description = "One data set; all when left out." };
        var strict = new Option<bool>("--strict") { Description = "Without a name: also fail for data sets that were never fetched." };
        var cmd = new Command("verify", "Re-hash local data files against the registry; exit 1 on any missing or corrupt file.");
        cmd.Arguments.Add(name);
        cmd.Options.Add(strict);
        cmd.SetAction(parse => Run(parse, out_ =>
        {
            var reg = registry ?? DataRegistry.Default;
            var one = parse.GetValue(name);
            var isStrict = parse.GetValue(strict);
            var bad = 0;
            foreach (var info in one is null ? reg.Datasets : [reg.Get(one)])
            {
                var checks = reg.Check(info.Name);
                if (one is null && !isStrict && checks.All(c => c.State == FileState.Missing))
                {
                    out_.WriteLine($"{info.Name}: not fetched (skipped; 'course data fetch {info.Name}')");
                    continue;
                }
                foreach (var c in checks.Where(c => !c.IsOk))
                {
                    bad++;
                    out_.WriteLine(c.State == FileState.Missing
                        ? $"MISSING {info.Name}/{c.File.Path}"
                        : $"CORRUPT {c.Path}: expected sha256 {c.File.Sha256}, got {c.ActualSha256}");
                }
                if (checks.All(c => c.IsOk))
                    out_.WriteLine($"{info.Name}: {checks.Count} file(s) OK ({DataRegistry.Summarize(checks).ToString().ToLowerInvariant()})");
            }
            if (bad > 0)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {bad} data file(s) missing or corrupt; re-fetch with 'course data fetch NAME --force'.");
                return 1;
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>One row per data set: name, license, files, size, status.</summary>
    public static DataFrame StatusFrame(DataRegistry reg)
    {
        var rows = reg.Datasets.Select(d =>
        {
            var checks = reg.Check(d.Name);
            var state = DataRegistry.Summarize(checks);
            var status = state.ToString().ToLowerInvariant();
            var present = checks.Count(c => c.State != FileState.Missing);
            if (state == DatasetState.Missing && present > 0) status += $" ({checks.Count - present} of {checks.Count})";
            return (d.Name, d.License.Id, Files: d.Files.Count, Size: FormatSize(d.TotalBytes), Status: status);
        }).ToList();
        return new DataFrame(
            new StringDataFrameColumn("name", rows.Select(r => r.Name)),
            new StringDataFrameColumn("license", rows.Select(r => r.Id)),
            new Int32DataFrameColumn("files", rows.Select(r => r.Files)),
            new StringDataFrameColumn("size", rows.Select(r => r.Size)),
            new StringDataFrameColumn("status", rows.Select(r => r.Status)));
    }

    static void PrintTable(TextWriter out_, DataFrame frame)
    {
        var headers = frame.Columns.Select(c => c.Name).ToList();
        var cells = Enumerable.Range(0, (int)frame.Rows.Count)
            .Select(i => frame.Rows[i].Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToList())
            .ToList();
        var widths = headers.Select((h, j) => cells.Select(r => r[j].Length).Append(h.Length).Max()).ToList();
        string Line(IReadOnlyList<string> values) =>
            string.Join("  ", values.Select((v, j) => frame.Columns[j] is Int32DataFrameColumn ? v.PadLeft(widths[j]) : v.PadRight(widths[j]))).TrimEnd();
        out_.WriteLine(Line(headers));
        out_.WriteLine(Line(widths.Select(w => new string('-', w)).ToList()));
        foreach (var row in cells) out_.WriteLine(Line(row));
    }

    static void Print(TextWriter out_, FetchResult r)
    {
        var copied = r.Files.Count(f => f.Action is FetchAction.Copied or FetchAction.Downloaded);
        var committed = r.Files.Count(f => f.Action == FetchAction.AlreadyCommitted);
        var cached = r.Files.Count(f => f.Action == FetchAction.AlreadyCached);
        var verb = r.Files.Any(f => f.Action == FetchAction.Downloaded) ? "downloaded" : "copied";
        var parts = new List<string>();
        if (copied > 0) parts.Add($"{copied} {verb}");
        if (cached > 0) parts.Add($"{cached} already cached");
        if (committed > 0) parts.Add($"{committed} committed in the repository");
        out_.WriteLine($"{r.Dataset}: {string.Join(", ", parts)} (sha256 OK)");
    }

    static string FormatSize(long bytes) => bytes switch
    {
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / (double)(1 << 10):0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Runs the verb body; a failure prints one 'error:' line and exits 1.</summary>
    static int Run(ParseResult parse, Func<TextWriter, int> body) => VerbActions.Run(parse, body);
}
