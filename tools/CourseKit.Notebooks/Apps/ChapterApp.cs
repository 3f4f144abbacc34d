using System.Globalization;
using System.Text.Json.Nodes;
using CourseKit.Reporting;

namespace CourseKit.Notebooks.Apps;

/// <summary>What an exported chapter app (`dotnet run apps/NN.cs`) runs on: its command line (--profile, -p, --seed)
/// in place of the parameters cell, and display() as text on the console plus one offline HTML page (charts and
/// tables) written next to the app when it exits. The library never sees any of this (it reports through Reporter).</summary>
public sealed class ChapterApp
{
    readonly Dictionary<string, ParameterOverride> _overrides;
    readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    bool _exitOnError;  // an app prints one 'error:' line and exits 2; a test gets the ArgumentException
    static NotebookDocument? _page;
    static NotebookCell? _outputs;

    ChapterApp(Dictionary<string, ParameterOverride> overrides, int threads)
    {
        _overrides = overrides;
        Threads = threads;
    }

    /// <summary>--threads: torch's CPU threads, as `course run --threads` (0 = torch's default).</summary>
    public int Threads { get; }

    /// <summary>Parses the command line against the notebook's profiles (default quick, as `course run`), sets the
    /// console report sink and arranges the HTML page. Exits with 2 on a bad command line.</summary>
    public static ChapterApp Start(string name, string[] args, Dictionary<string, Dictionary<string, string>> profiles)
    {
        if (args.Contains("-h") || args.Contains("--help"))
        {
            Console.WriteLine($"{name}: --profile {string.Join("|", profiles.Keys.Append("none"))} (default quick), -p name=value (repeatable), --seed N, --threads N");
            Environment.Exit(0);
        }
        ChapterApp app;
        try { app = Parse(args, profiles); }
        catch (ArgumentException e) { return Fail<ChapterApp>(e.Message); }
        app._exitOnError = true;
        CourseKit.Native.MallocTuning.Ensure(CourseKit.Native.AllocatorUse.Chapters);   // as `course run` (see MallocTuning)
        if (app.Threads > 0)
        {
            // Set before the first cell runs, like `course run --threads`; loading the backend first is idempotent.
            CourseKit.Native.TorchRuntime.Initialize();
            TorchSharp.torch.set_num_threads(app.Threads);
        }
        Reporter.Current = new ChapterConsoleSink();
        StartPage(name);
        return app;
    }

    /// <summary>The overrides a command line asks for: the profile's values, then --seed, --threads and -p in order
    /// (later wins). --seed and --threads set a <c>seed</c> / <c>threads</c> parameter only where the chapter declares
    /// one, as `course run` does.</summary>
    public static ChapterApp Parse(string[] args, Dictionary<string, Dictionary<string, string>> profiles)
    {
        string? profile = "quick";
        var threads = 0;
        var explicitValues = new List<ParameterOverride>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--profile": profile = Next() is "none" ? null : args[i]; break;
                case "--seed": explicitValues.Add(new("seed", Next(), "--seed")); break;
                case "--threads":
                    var count = Next();
                    if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out threads))
                        throw new ArgumentException($"--threads expects a count (0 = torch's default), got '{count}'");
                    if (threads > 0) explicitValues.Add(new("threads", count, "--threads"));
                    break;
                case "-p" or "--parameter":
                    var pair = Next();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"-p expects name=value, got '{pair}'");
                    explicitValues.Add(new(pair[..eq].Trim(), pair[(eq + 1)..], "-p"));
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}' (use --profile, -p name=value, --seed, --threads)");
            }
        }
        var overrides = new Dictionary<string, ParameterOverride>(StringComparer.Ordinal);
        if (profile is not null)
        {
            if (!profiles.TryGetValue(profile, out var values))
                throw new ArgumentException($"profile '{profile}' is not declared; the chapter's profiles are: {string.Join(", ", profiles.Keys)}");
            foreach (var (key, value) in values) overrides[key] = new(key, value, $"profile {profile}");
        }
        foreach (var o in explicitValues) overrides[o.Name] = o;
        return new ChapterApp(overrides, threads);
    }

    /// <summary>A parameter's value: the command line's (profile, --seed, -p) when given, else the notebook's default.</summary>
    public T Get<T>(string name, T fallback)
    {
        _declared.Add(name);
        if (!_overrides.TryGetValue(name, out var o)) return fallback;
        var text = o.Value.Trim();
        object? value = typeof(T) == typeof(string) ? o.Value
            : typeof(T) == typeof(bool) && bool.TryParse(text, out var b) ? b
            : typeof(T) == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : typeof(T) == typeof(long) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
            : typeof(T) == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : typeof(T) == typeof(float) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f
            : null;
        return value is T typed ? typed : Error<T>($"parameter '{name}' (from {o.Source}): '{o.Value}' is not a valid {typeof(T).Name}");
    }

    /// <summary>After the parameters: a -p name the chapter does not declare is a typo, not something to ignore.</summary>
    public void CheckAllKnown()
    {
        foreach (var o in _overrides.Values)
            if (!_declared.Contains(o.Name) && !NotebookParameters.IsRunnerOption(o))
                Error<string>($"unknown parameter '{o.Name}' (from {o.Source}); the chapter declares {string.Join(", ", _declared)}");
    }

    /// <summary>The notebook's display(): text on the console, everything (charts too) on the HTML page. The handle's
    /// Update replaces the page's output and prints the new text: a console cannot rewrite a line it printed earlier.</summary>
    public static DisplayHandle display(object value, params string[] mimeTypes)
    {
        var data = DisplayFormatter.Format(value, mimeTypes);
        WritePlain(data);
        var output = new JsonObject { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() };
        if (_outputs is { } page) lock (page) page.Outputs.Add(output);  // no page before Start (a unit test)
        return new DisplayHandle(output, mimeTypes, WritePlain);
    }

    static void WritePlain(JsonObject data)
    {
        if (data[DisplayFormatter.Plain]?.GetValue<string>() is { } text) Console.WriteLine(text);
    }

    static void StartPage(string name)
    {
        _outputs = NotebookCell.Code("");
        _page = NotebookDocument.Create(new[] { NotebookCell.Markdown($"# {name}\n\nOutputs of `dotnet run` (console text is the same)."), _outputs });
        var where = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
        var path = Path.Combine(where, name + ".html");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (_outputs) File.WriteAllText(path, HtmlExporter.Render(_page, name));
            Console.WriteLine($"outputs: {path}");
        };
    }

    T Error<T>(string message) => _exitOnError ? Fail<T>(message) : throw new ArgumentException(message);

    static T Fail<T>(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Environment.Exit(2);
        return default!;
    }
}
