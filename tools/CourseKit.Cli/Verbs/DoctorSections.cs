using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

/// <summary>Doctor sections that belong to the host rather than the library (none beyond the library's yet).</summary>
static class DoctorSections
{
    public static Action<DoctorReport>[] All => Array.Empty<Action<DoctorReport>>();
}
