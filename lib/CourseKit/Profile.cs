namespace CourseKit;

/// <summary>How big a run is. Every long job of the kit (pretraining, fine-tuning, the CoNLL reproduction, the
/// benchmark) has both; each task's options record holds its own quick and full values once (<c>X.For(profile)</c>).</summary>
public enum Profile
{
    /// <summary>CPU minutes through the real code path on a subset: what CI and the tests run.</summary>
    Quick,
    /// <summary>The real experiment.</summary>
    Full,
}

/// <summary>The spellings of <see cref="Profile"/>: "quick" and "full", any case.</summary>
public static class Profiles
{
    public static readonly IReadOnlyList<string> Names = ["quick", "full"];

    public static bool TryParse(string? text, out Profile profile)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "quick": profile = Profile.Quick; return true;
            case "full": profile = Profile.Full; return true;
            default: profile = default; return false;
        }
    }

    public static Profile Parse(string? text) => TryParse(text, out var profile)
        ? profile
        : throw new ArgumentException($"profile '{text}' is not one of {string.Join(", ", Names)}", nameof(text));

    /// <summary>"quick" or "full": the name written to metrics files and read by <see cref="Parse"/>.</summary>
    public static string Name(this Profile profile) => profile switch
    {
        Profile.Quick => "quick",
        Profile.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, null),
    };
}
