using System.Reflection;

namespace CourseKit.Notebooks;

/// <summary>The kit's pinned package set (Directory.Packages.props, embedded at build time) and how a
/// `#r "nuget: ..."` line maps onto it.</summary>
public static class PackagePins
{
    const string Prefix = "CourseKit.Pin:";

    /// <summary>Packages that stand for another package the host runs (TorchSharp's backend bundles → TorchSharp).</summary>
    static readonly Dictionary<string, string> HostAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TorchSharp-cpu"] = "TorchSharp",
        ["TorchSharp-cuda-linux"] = "TorchSharp",
        ["TorchSharp-cuda-windows"] = "TorchSharp",
    };

    public static IReadOnlyDictionary<string, string> All { get; } = typeof(PackagePins).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key.StartsWith(Prefix, StringComparison.Ordinal) && a.Value is not null)
        .ToDictionary(a => a.Key[Prefix.Length..], a => a.Value!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The host package whose assemblies a pinned package reference stands for.</summary>
    public static string HostPackage(string name) => HostAliases.TryGetValue(name, out var host) ? host : name;

    /// <summary>Checks a reference against the pins; returns the pinned version or throws naming the cell.</summary>
    public static string Check(NuGetReference package, string cellLabel)
    {
        if (!All.TryGetValue(package.Name, out var pinned))
            throw new NotebookDirectiveException(
                $"{cellLabel}, line {package.Line}: package '{package.Name}' is not in the kit's pinned package set " +
                $"(Directory.Packages.props). Pinned: {string.Join(", ", All.Keys.Order(StringComparer.OrdinalIgnoreCase))}");
        if (package.Version is not null && package.Version != pinned)
            throw new NotebookDirectiveException(
                $"{cellLabel}, line {package.Line}: {package.Name} {package.Version} is not the pinned version; the kit pins {package.Name} {pinned}");
        return pinned;
    }
}
