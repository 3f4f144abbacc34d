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
    /// <summary>Overrides a `threads` variable of the parameters cell where the notebook declares one (the chapters pass it
    /// to torch.set_num_threads); null or 0 = leave it alone. The runner does not touch torch itself: `course run` sets
    /// the host's torch threads from the same option before it starts.</summary>
    public int? Threads { get; init; }
    /// <summary>Stop after the first failing notebook.</summary>
    public bool FailFast { get; init; }
    /// <summary>Progress lines (notebook k/n, cell i/m, elapsed); null = quiet.</summary>
    public Action<string>? Log { get; init; }
}
