namespace CourseKit.Notebooks;

/// <summary>How <see cref="NotebookRunner"/> runs notebooks (the `course run` options).</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Where the executed .ipynb, the .html and run-summary.json go; null = write nothing.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>A profile name from the notebook's metadata.coursekit.profiles (e.g. quick, full).</summary>
    public string? Profile { get; init; }
    /// <summary>-p name=value overrides; they beat the profile.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Overrides a `seed` variable of the parameters cell where the notebook declares one.</summary>
    public int? Seed { get; init; }
    /// <summary>torch's CPU threads (set once for the run) and the value of a `threads` variable of the parameters cell
    /// where the notebook declares one; null or 0 = leave both alone.</summary>
    public int? Threads { get; init; }
    /// <summary>Stop after the first failing notebook.</summary>
    public bool FailFast { get; init; }
    /// <summary>Progress lines (notebook k/n, cell i/m, elapsed); null = quiet.</summary>
    public Action<string>? Log { get; init; }
}
