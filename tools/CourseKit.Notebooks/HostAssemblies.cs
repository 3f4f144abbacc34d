using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;

namespace CourseKit.Notebooks;

/// <summary>The assemblies the host process can load (TRUSTED_PLATFORM_ASSEMBLIES and the deps.json package
/// graph). Notebook references point at these, so a notebook shares the host's copies of every type.</summary>
public static class HostAssemblies
{
    static readonly ConcurrentDictionary<string, MetadataReference> References = new(StringComparer.Ordinal);
    static readonly Lazy<Dictionary<string, string>> Trusted = new(ReadTrusted);
    static readonly Lazy<DepsGraph> Deps = new(DepsGraph.Read);

    /// <summary>Simple assembly name → path, for every trusted platform assembly of this process.</summary>
    public static IReadOnlyDictionary<string, string> TrustedByName => Trusted.Value;

    public static MetadataReference Reference(string path) => References.GetOrAdd(path, p => MetadataReference.CreateFromFile(p));

    /// <summary>The .NET shared framework's assemblies: what every script compiles against.</summary>
    public static IEnumerable<string> FrameworkPaths()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Trusted.Value.Values.Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal)
                                              && IsManaged(p));
    }

    /// <summary>The host's path for an assembly of this simple name: a loaded copy first, else a trusted one.</summary>
    public static string? HostCopy(string simpleName)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies()
            .FirstOrDefault(a => !a.IsDynamic && a.Location.Length > 0 && string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase));
        if (loaded is not null) return loaded.Location;
        return Trusted.Value.TryGetValue(simpleName, out var path) ? path : null;
    }

    /// <summary>The assembly paths of a package in the host's deps.json, with its package dependencies.</summary>
    public static IReadOnlyList<string>? PackageAssemblies(string packageName) => Deps.Value.Assemblies(packageName);

    static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    static Dictionary<string, string> ReadTrusted()
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            map.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        return map;
    }

    /// <summary>The package part of deps.json: package → runtime assembly files and package dependencies.</summary>
    sealed class DepsGraph
    {
        readonly Dictionary<string, (List<string> Files, List<string> Dependencies)> _packages = new(StringComparer.OrdinalIgnoreCase);

        public static DepsGraph Read()
        {
            var graph = new DepsGraph();
            var files = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "")
                .Split(';', StringSplitOptions.RemoveEmptyEntries).Where(File.Exists).ToList();
            if (files.Count == 0)
                files = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json").ToList();
            foreach (var file in files) graph.Add(JsonNode.Parse(File.ReadAllText(file)) as JsonObject);
            return graph;
        }

        void Add(JsonObject? deps)
        {
            if (deps?["libraries"] is not JsonObject libraries || deps["targets"] is not JsonObject targets) return;
            foreach (var (_, target) in targets)
            {
                if (target is not JsonObject entries) continue;
                foreach (var (key, entry) in entries)
                {
                    if (libraries[key]?["type"]?.GetValue<string>() != "package") continue;
                    var name = key[..key.IndexOf('/')];
                    var runtime = (entry?["runtime"] as JsonObject)?.Select(kv => Path.GetFileName(kv.Key)).ToList() ?? new();
                    var dependencies = (entry?["dependencies"] as JsonObject)?.Select(kv => kv.Key).ToList() ?? new();
                    _packages.TryAdd(name, (runtime, dependencies));
                }
            }
        }

        public IReadOnlyList<string>? Assemblies(string packageName)
        {
            if (!_packages.ContainsKey(packageName)) return null;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var paths = new List<string>();
            var pending = new Stack<string>();
            pending.Push(packageName);
            while (pending.Count > 0)
            {
                var name = pending.Pop();
                if (!seen.Add(name) || !_packages.TryGetValue(name, out var package)) continue;
                foreach (var file in package.Files)
                {
                    var simple = Path.GetFileNameWithoutExtension(file);
                    var path = HostCopy(simple) ?? Path.Combine(AppContext.BaseDirectory, file);
                    if (File.Exists(path)) paths.Add(path);
                }
                foreach (var dependency in package.Dependencies) pending.Push(dependency);
            }
            return paths;
        }
    }
}
